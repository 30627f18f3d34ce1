// Device page charts (24 h by minute, 30 days by hour); data from the page's json_script blocks.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.echarts) return;
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  const th = json("thresholds-data");
  const names = document.getElementById("device-chart-labels").dataset;
  function draw(el, data, keys) {
    const node = document.getElementById(el);
    if (!node) return;
    const chart = echarts.init(node);
    const col = (k) => data[k] || [];
    const maxOf = (ks) => data.t.map((_, i) => {
      let m = null;
      ks.forEach((k) => { const v = col(k)[i]; if (v !== null && v !== undefined && (m === null || v > m)) m = v; });
      return m;
    });
    const pair = (vals) => data.t.map((t, i) => [t, vals[i]]);
    const series = [
      {name: names.residual, type: "line", showSymbol: false, data: pair(col(keys.residual)), markLine: {silent: true, symbol: "none", data: [{yAxis: th.residual_ma}]}},
      {name: names.temp, type: "line", showSymbol: false, data: pair(maxOf(keys.temps)), markLine: {silent: true, symbol: "none", data: [{yAxis: th.temperature_c}]}},
      {name: names.volt, type: "line", showSymbol: false, yAxisIndex: 1, data: pair(col(keys.volt))},
      {name: names.amp, type: "line", showSymbol: false, data: pair(maxOf(keys.amps))},
    ];
    chart.setOption({
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 50, right: 50, top: 40, bottom: 50},
      xAxis: {type: "time"}, yAxis: [{type: "value"}, {type: "value", min: 150, max: 260}],
      dataZoom: [{type: "inside"}, {type: "slider", height: 18, bottom: 5}], series: series,
    });
    window.addEventListener("resize", () => chart.resize());
  }
  draw("chart-24h", json("series-24h"),
       {residual: "residual_ma", temps: ["t1_c", "t2_c", "t3_c", "t4_c"], volt: "ua_v", amps: ["ia_a", "ib_a", "ic_a"]});
  draw("chart-30d", json("series-30d"),
       {residual: "residual_ma_max", temps: ["t1_c_max", "t2_c_max", "t3_c_max", "t4_c_max"], volt: "ua_v_avg", amps: ["ia_a_max", "ib_a_max", "ic_a_max"]});
});
