// The prevention-spend chart of the insurance ledger page: planned and spent shares per insurer
// against the county floor (data from the json_script "insurance-ledger").
document.addEventListener("DOMContentLoaded", () => {
  const node = document.querySelector("[data-insurance-ledger]");
  const source = document.getElementById("insurance-ledger");
  if (!node || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const chart = echarts.init(node);
  chart.setOption({
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
    tooltip: {trigger: "axis", valueFormatter: (v) => v + "%"},
    legend: {top: 0},
    grid: {left: 48, right: 16, top: 40, bottom: 60},
    xAxis: {type: "category", data: data.insurers, axisLabel: {rotate: 20}},
    yAxis: {type: "value", min: 0, axisLabel: {formatter: "{value}%"}},
    series: [
      {name: node.dataset.plannedLabel, type: "bar", data: data.planned,
       markLine: {symbol: "none", data: [{yAxis: data.floor, name: node.dataset.floorLabel}]}},
      {name: node.dataset.spentLabel, type: "bar", data: data.spent},
    ],
  });
  node.dataset.loaded = "1";
  window.addEventListener("resize", () => chart.resize());
});
