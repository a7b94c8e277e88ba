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

  // Long program names as lines of a few words (or characters, in Japanese) beside a bar.
  function wrap(label, width) {
    const text = String(label);
    if (text.length <= width) return text;
    const lines = [];
    if (text.includes(" ")) {
      let line = "";
      text.split(" ").forEach(word => {
        if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
      });
      if (line) lines.push(line);
    } else {
      for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
    }
    return lines;
  }
  function header(table, n) { const th = document.querySelector("#table-" + table + " th:nth-child(" + n + ")"); return th ? th.textContent : ""; }

  // Counted years as a solid line; later years hold only the awards granted so far, so they are a
  // separate dashed series (never the counted line running on and "collapsing").
  const trend = data("trend-data");
  const trendCanvas = document.getElementById("trend-chart");
  if (trendCanvas && trend.length) {
    const series = [
      { label: header("trend", 2), data: trend.map(r => num(r[1])), borderColor: "#1f5fa8", backgroundColor: "#1f5fa8" },
      { label: header("trend", 3), data: trend.map(r => num(r[2])), borderColor: "#e08a00", backgroundColor: "#fff", borderDash: [2, 3], pointStyle: "circle", pointRadius: 4, pointBorderWidth: 2 },
      { label: header("trend", 4), data: trend.map(r => num(r[3])), borderColor: "#8a8f98", borderDash: [6, 4], backgroundColor: "#8a8f98" },
      { label: header("trend", 5), data: trend.map(r => num(r[4])), borderColor: "#b3261e", backgroundColor: "#b3261e", pointStyle: "rectRot", pointRadius: 7, showLine: false },
    ];
    new Chart(trendCanvas, {
      type: "line",
      data: { labels: trend.map(r => r[0]), datasets: series.filter(s => s.data.some(v => v !== null)) },
      options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  // Rows: [code, name, counted, awards, audience]; postdoctoral programs have no counted figure.
  const programs = data("program-data").filter(r => r[2] !== "");
  const programCanvas = document.getElementById("program-chart");
  if (programCanvas && programs.length) {
    new Chart(programCanvas, {
      type: "bar",
      data: { labels: programs.map(r => wrap(r[1], /[\u3000-\u9fff]/.test(r[1]) ? 14 : 28)), datasets: [{ label: header("programs", 2), data: programs.map(r => num(r[2])), backgroundColor: "#1f5fa8" }] },
      options: { responsive: true, indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
    });
  }
  // The published breakdown beside this system's: one stacked bar each per fiscal year.
  const published = document.getElementById("published-data") ? data("published-data") : null;
  const publishedCanvas = document.getElementById("published-chart");
  if (publishedCanvas && published && published.rows.length > 1) {
    // Headers read "FY2021 (R3) <kind>": the year label up to ")" and the kind after it.
    const yearOf = h => h.slice(0, h.indexOf(")") + 1), kindOf = h => h.slice(h.indexOf(")") + 1).trim();
    const years = [];
    for (let i = 1; i < published.headers.length; i += 2) years.push(yearOf(published.headers[i]));
    const colours = ["#1f5fa8", "#2e9e6a", "#c9a227", "#8e44ad", "#8a8f98"];
    const groups = published.rows.slice(0, -1);  // the last row is the total
    const sets = [];
    groups.forEach((row, g) => {
      const colour = colours[g % colours.length];
      sets.push({ label: row[0] + " (" + kindOf(published.headers[1]) + ")", stack: "published", backgroundColor: colour + "66", borderColor: colour, borderWidth: 1, data: years.map((_, y) => num(row[1 + 2 * y])) });
      sets.push({ label: row[0] + " (" + kindOf(published.headers[2]) + ")", stack: "counted", backgroundColor: colour, data: years.map((_, y) => num(row[2 + 2 * y])) });
    });
    new Chart(publishedCanvas, {
      type: "bar",
      data: { labels: years, datasets: sets },
      options: { responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: "right" } } },
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
