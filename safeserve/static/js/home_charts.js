// Home dashboard charts: the data comes from the page's json_script block "chart-data".
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("chart-data");
  if (!el || !window.echarts) return;
  // No animation for users who ask for reduced motion (and for `manage.py screens`, which does).
  const animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  for (const c of JSON.parse(el.textContent)) {
    const node = document.querySelector('[data-chart="' + c.id + '"]');
    if (!node) continue;
    const chart = echarts.init(node);
    const option = c.kind === "pie"
      ? {tooltip: {trigger: "item"}, series: [{type: "pie", radius: ["35%", "65%"], data: c.labels.map((l, i) => ({name: l, value: c.values[i], itemStyle: c.colors ? {color: c.colors[i]} : undefined}))}]}
      : {tooltip: {trigger: "axis"}, grid: {left: 48, right: 16, bottom: 60}, xAxis: {type: "category", data: c.labels, axisLabel: {rotate: 30}}, yAxis: {type: "value", minInterval: 1}, series: [{type: "bar", data: c.values, itemStyle: {color: "#1f4e79"}}]};
    chart.setOption({animation, ...option});
    window.addEventListener("resize", () => chart.resize());
  }
});
