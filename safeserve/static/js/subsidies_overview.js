// Town subsidies by town: budget, approved and paid (data from json_script "subsidy-data").
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("subsidy-data");
  const node = document.querySelector('[data-chart="subsidy-towns"]');
  if (!el || !node || !window.echarts) return;
  const d = JSON.parse(el.textContent);
  const animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const chart = echarts.init(node);
  chart.setOption({
    animation,
    tooltip: {trigger: "axis"},
    legend: {data: [d.labels.budget, d.labels.approved, d.labels.paid]},
    grid: {left: 64, right: 16, bottom: 60},
    xAxis: {type: "category", data: d.towns, axisLabel: {rotate: 30}},
    yAxis: {type: "value"},
    series: [
      {name: d.labels.budget, type: "bar", data: d.budget, itemStyle: {color: "#bdd7ee"}},
      {name: d.labels.approved, type: "bar", data: d.approved, itemStyle: {color: "#2e75b6"}},
      {name: d.labels.paid, type: "bar", data: d.paid, itemStyle: {color: "#1f4e79"}},
    ],
  });
  window.addEventListener("resize", () => chart.resize());
});
