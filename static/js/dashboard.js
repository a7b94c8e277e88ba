// Charts for the dashboards. The numbers come from json_script blocks that also fill the tables.
(function () {
  "use strict";
  function data(id) { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : []; }
  function num(v) { const n = parseInt(String(v).replace(/[^0-9-]/g, ""), 10); return Number.isNaN(n) ? null : n; }

  const bar = document.getElementById("progress-bar");
  if (bar) {
    const value = num(bar.dataset.value) || 0, target = num(bar.dataset.target) || 0;
    bar.style.width = target ? Math.min(100, (value / target) * 100) + "%" : "0";
  }
  if (typeof Chart === "undefined") return;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  const trend = data("trend-data");
  const trendCanvas = document.getElementById("trend-chart");
  if (trendCanvas && trend.length) {
    new Chart(trendCanvas, {
      type: "line",
      data: {
        labels: trend.map(r => r[0]),
        datasets: [
          { label: trendCanvas.closest("section, main").querySelector("#table-trend th:nth-child(2)").textContent, data: trend.map(r => num(r[1])), borderColor: "#1f5fa8", backgroundColor: "#1f5fa8" },
          { label: document.querySelector("#table-trend th:nth-child(3)").textContent, data: trend.map(r => num(r[2])), borderColor: "#8a8f98", borderDash: [4, 4], backgroundColor: "#8a8f98" },
          { label: document.querySelector("#table-trend th:nth-child(4)").textContent, data: trend.map(r => num(r[3])), borderColor: "#b3261e", backgroundColor: "#b3261e", pointStyle: "rectRot", pointRadius: 7, showLine: false },
        ],
      },
      options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const programs = data("program-data").filter(r => r[1] !== "");
  const programCanvas = document.getElementById("program-chart");
  if (programCanvas && programs.length) {
    new Chart(programCanvas, {
      type: "bar",
      data: { labels: programs.map(r => r[0]), datasets: [{ label: document.querySelector("#table-programs th:nth-child(2)").textContent, data: programs.map(r => num(r[1])), backgroundColor: "#1f5fa8" }] },
      options: { responsive: true, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
    });
  }

  // Sortable tables: click a header to sort by that column.
  document.querySelectorAll("table.sortable th").forEach((th, index) => {
    th.style.cursor = "pointer";
    th.title = "↕";
    th.addEventListener("click", () => {
      const tbody = th.closest("table").tBodies[0];
      const asc = th.dataset.sort !== "asc";
      th.dataset.sort = asc ? "asc" : "desc";
      const rows = Array.from(tbody.rows);
      rows.sort((a, b) => {
        const x = a.cells[index].textContent.trim(), y = b.cells[index].textContent.trim();
        const nx = num(x), ny = num(y);
        const cmp = nx !== null && ny !== null && /^[-0-9,]+$/.test(x) && /^[-0-9,]+$/.test(y) ? nx - ny : x.localeCompare(y, "ja");
        return asc ? cmp : -cmp;
      });
      rows.forEach(r => tbody.appendChild(r));
    });
  });
})();
