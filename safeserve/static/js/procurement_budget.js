// Government purchase budget: budget, committed (contracts signed) and paid per buyer and year.
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("procurement-budget-chart");
  const source = document.getElementById("procurement-budget-data");
  if (!window.echarts || !node || !source) return;
  const data = JSON.parse(source.textContent);
  if (!data.labels.length) { node.style.display = "none"; return; }
  const names = node.dataset;
  const chart = echarts.init(node);
  chart.setOption({
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 70, right: 20, top: 40, bottom: 80},
    xAxis: {type: "category", data: data.labels, axisLabel: {rotate: 30}},
    yAxis: {type: "value"},
    series: [
      {name: names.budget, type: "bar", data: data.budget},
      {name: names.committed, type: "bar", data: data.committed},
      {name: names.paid, type: "bar", data: data.paid},
    ],
  });
  window.addEventListener("resize", () => chart.resize());
});
