// Award form: choosing a program (or start date) fills in the rule's amounts; an amount below
// the floor is flagged before saving. The server applies every rule again on save.
(function () {
  "use strict";
  const form = document.getElementById("award-form");
  if (!form) return;
  const program = form.querySelector("[name=program]");
  const start = form.querySelector("[name=start_date]");
  const living = form.querySelector("[name=annual_living_cost]");
  const research = form.querySelector("[name=annual_research_cost]");
  const warning = document.getElementById("floor-warning");
  let floor = parseInt(form.dataset.floor, 10) || 0;

  function check() {
    const value = parseInt(living.value, 10);
    warning.hidden = !(floor && !Number.isNaN(value) && value < floor);
  }
  async function fill(overwrite) {
    if (!program.value) return;
    const url = form.dataset.defaultsUrl.replace("CODE", encodeURIComponent(program.value)) + "?start=" + encodeURIComponent(start.value || "");
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    floor = data.floor || floor;
    if (overwrite || !living.value) living.value = data.annual_living_cost ?? "";
    if (overwrite || !research.value) research.value = data.annual_research_cost ?? "";
    check();
  }
  program.addEventListener("change", () => fill(true));
  start.addEventListener("change", () => fill(false));
  living.addEventListener("input", check);
  check();
  // A program already chosen before this script ran (a slow page, a restored form): fill now.
  if (program.value && !living.value) fill(false);
})();
