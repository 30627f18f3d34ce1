// Market statistics: quoted price ranges (min, median, max) per service type and town.
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("market-price-chart");
  const source = document.getElementById("market-price-data");
  if (!window.echarts || !node || !source) return;
  const data = JSON.parse(source.textContent);
  if (!data.labels.length) { node.style.display = "none"; return; }
  const names = node.dataset;
  const chart = echarts.init(node);
  chart.setOption({
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 60, right: 20, top: 40, bottom: 80},
    xAxis: {type: "category", data: data.labels, axisLabel: {rotate: 30}},
    yAxis: {type: "value"},
    series: [
      {name: names.min, type: "bar", data: data.min},
      {name: names.median, type: "bar", data: data.median},
      {name: names.max, type: "bar", data: data.max},
    ],
  });
  window.addEventListener("resize", () => chart.resize());
});
