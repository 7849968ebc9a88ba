const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#3b82f6", "#f97316", "#10b981", "#a855f7", "#ef4444", "#eab308"];

export interface Series {
  name: string;
  /** [time in ms, value], in time order. */
  points: Array<[number, number]>;
}

/** An inline SVG line chart: one line per series, a legend, the highest value on the axis. */
export function lineChart(title: string, series: readonly Series[], unit: (value: number) => string): HTMLElement {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  figure.append(caption);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    const none = document.createElement("p");
    none.className = "empty";
    none.textContent = "no data yet";
    figure.append(none);
    return figure;
  }
  const width = 300;
  const height = 120;
  const t0 = Math.min(...all.map((p) => p[0]));
  const t1 = Math.max(...all.map((p) => p[0]), t0 + 1);
  const top = Math.max(...all.map((p) => p[1]), 1e-9);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  const x = (t: number) => ((t - t0) / (t1 - t0)) * (width - 10) + 5;
  const y = (v: number) => height - 5 - (v / top) * (height - 20);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", "1.5");
    svg.append(line);
    for (const [t, v] of s.points) {
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", x(t).toFixed(1));
      dot.setAttribute("cy", y(v).toFixed(1));
      dot.setAttribute("r", "2");
      dot.setAttribute("fill", color);
      svg.append(dot);
    }
  });
  const max = document.createElementNS(SVG, "text");
  max.setAttribute("x", "4");
  max.setAttribute("y", "11");
  max.setAttribute("class", "axis");
  max.textContent = unit(top);
  svg.append(max);
  figure.append(svg);
  const legend = document.createElement("div");
  legend.className = "legend";
  series.forEach((s, i) => {
    const item = document.createElement("span");
    item.style.setProperty("--c", COLORS[i % COLORS.length]!);
    item.textContent = s.name;
    legend.append(item);
  });
  figure.append(legend);
  return figure;
}
