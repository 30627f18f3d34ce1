// Inspection plan progress: planned vs done by month and by town (data from json_script "progress-data").
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("progress-data");
  if (!el || !window.echarts) return;
  const d = JSON.parse(el.textContent);
  const animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const bars = (labels, planned, done) => ({
    animation,
    tooltip: {trigger: "axis"},
    legend: {data: ["计划", "完成"]},
    grid: {left: 48, right: 16, bottom: 60},
    xAxis: {type: "category", data: labels, axisLabel: {rotate: 30}},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: "计划", type: "bar", data: planned, itemStyle: {color: "#9dc3e6"}},
      {name: "完成", type: "bar", data: done, itemStyle: {color: "#1f4e79"}},
    ],
  });
  const charts = [
    ["months", bars(d.months, d.planned, d.done)],
    ["towns", bars(d.towns, d.town_planned, d.town_done)],
  ];
  for (const [id, option] of charts) {
    const node = document.querySelector('[data-chart="' + id + '"]');
    if (!node) continue;
    const chart = echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", () => chart.resize());
  }
});
