// Assessment charts: the ranking bar chart (county) and a sheet's radar chart. Data come from the
// page's json_script blocks "assessment-ranking" and "assessment-radar" (no inline script: strict CSP).
document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  const animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const data = (id) => {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  };
  const ranking = data("assessment-ranking");
  const barNode = document.querySelector('[data-chart="ranking"]');
  if (ranking && barNode) {
    const chart = echarts.init(barNode);
    chart.setOption({
      animation,
      tooltip: {trigger: "axis"},
      grid: {left: 48, right: 16, bottom: 70},
      xAxis: {type: "category", data: ranking.labels, axisLabel: {rotate: 30}},
      yAxis: {type: "value", max: 100},
      series: [{type: "bar", data: ranking.values.map((v, i) => ({value: v, itemStyle: {color: ranking.vetoed[i] ? "#c0392b" : "#1f4e79"}}))}],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  const radar = data("assessment-radar");
  const radarNode = document.querySelector('[data-chart="radar"]');
  if (radar && radarNode && radar.indicators.length) {
    const chart = echarts.init(radarNode);
    chart.setOption({
      animation,
      tooltip: {},
      radar: {indicator: radar.indicators, radius: "55%", axisName: {fontSize: 11}},
      series: [{type: "radar", data: [{value: radar.values, name: "得分率（%）", areaStyle: {opacity: 0.2}}]}],
    });
    window.addEventListener("resize", () => chart.resize());
  }
});
