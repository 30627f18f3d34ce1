// Coverage trend: the data comes from the URL in data-coverage-trend (JSON: labels, series).
document.addEventListener("DOMContentLoaded", () => {
  const node = document.querySelector("[data-coverage-trend]");
  if (!node || !window.echarts) return;
  const animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  fetch(node.dataset.coverageTrend, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      const chart = echarts.init(node);
      const palette = ["#1f4e79", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f"];
      const series = [];
      data.series.forEach((s, i) => {
        const color = palette[i % palette.length];
        series.push({name: s.label, type: "line", data: s.values, connectNulls: false, itemStyle: {color}});
        series.push({name: s.label + " 目标", type: "line", data: s.targets, symbol: "none", lineStyle: {type: "dashed", color}, itemStyle: {color}});
      });
      chart.setOption({
        animation,
        tooltip: {trigger: "axis", valueFormatter: (v) => (v == null ? "—" : v + "%")},
        legend: {type: "scroll", top: 0},
        grid: {left: 48, right: 16, top: 40, bottom: 50},
        xAxis: {type: "category", data: data.labels, axisLabel: {rotate: 30}},
        yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
        series,
      });
      node.dataset.loaded = "1";
      window.addEventListener("resize", () => chart.resize());
    })
    .catch(() => { node.textContent = node.dataset.error || "error"; });
});
