// The live plots: loss per step and kNN accuracy per epoch (uPlot), and the embedding scatter
// (a plain canvas: one dot per test image, coloured by label, the image on hover).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { PX, SIDE } from './shared.js';

/** Tableau 10, then a golden-angle hue walk for more classes. */
export function colour(label: number): string {
  const tab10 = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  return label < 10 ? tab10[label] : `hsl(${(label * 137.508) % 360} 60% 55%)`;
}

export class LinePlot {
  private readonly plot: uPlot;
  private xs: number[] = [];
  private ys: number[] = [];
  private pending = false;

  constructor(el: HTMLElement, opts: { label: string; stroke: string; xLabel: string; yRange?: [number, number]; points?: boolean }) {
    const width = Math.max(280, el.clientWidth);
    this.plot = new uPlot(
      {
        width,
        height: 180,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: false },
          // a fraction axis (yRange) zooms to the data but stays inside it
          y: opts.yRange
            ? { range: (_u, lo, hi) => [Math.max(opts.yRange![0], (lo ?? 0) - 0.05), Math.min(opts.yRange![1], (hi ?? 1) + 0.05)] }
            : { auto: true },
        },
        axes: [{ label: opts.xLabel, size: 36, labelSize: 16 }, { size: 44 }],
        series: [{}, { label: opts.label, stroke: opts.stroke, width: 1.5, points: { show: opts.points ?? false, size: 6 } }],
      },
      [[], []],
      el,
    );
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(280, el.clientWidth), height: 180 })).observe(el);
  }

  reset(): void {
    this.xs = [];
    this.ys = [];
    this.plot.setData([[], []]);
  }

  push(x: number, y: number): void {
    this.xs.push(x);
    this.ys.push(y);
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.plot.setData([this.xs, this.ys]);
    });
  }
}

export class Scatter {
  private xy: Float32Array = new Float32Array(0);
  private labels: Uint8Array = new Uint8Array(0);
  private images: Uint8Array = new Uint8Array(0);
  private classes: string[] = [];
  private screen = new Float32Array(0);
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tip: HTMLElement,
  ) {
    this.ctx = canvas.getContext('2d')!;
    new ResizeObserver(() => this.draw()).observe(canvas);
    canvas.addEventListener('mousemove', (e) => this.hover(e));
    canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
  }

  setData(xy: Float32Array, labels: Uint8Array, images: Uint8Array, classes: string[]): void {
    this.xy = xy;
    this.labels = labels;
    this.images = images;
    this.classes = classes;
    this.draw();
  }

  clear(): void {
    this.setData(new Float32Array(0), new Uint8Array(0), new Uint8Array(0), []);
  }

  private draw(): void {
    const { canvas, ctx } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const n = this.labels.length;
    this.screen = new Float32Array(2 * n);
    if (n === 0) return;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      x0 = Math.min(x0, this.xy[2 * i]);
      x1 = Math.max(x1, this.xy[2 * i]);
      y0 = Math.min(y0, this.xy[2 * i + 1]);
      y1 = Math.max(y1, this.xy[2 * i + 1]);
    }
    const pad = 12;
    const s = Math.min((w - 2 * pad) / (x1 - x0 || 1), (h - 2 * pad) / (y1 - y0 || 1));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    for (let i = 0; i < n; i++) {
      this.screen[2 * i] = w / 2 + (this.xy[2 * i] - cx) * s;
      this.screen[2 * i + 1] = h / 2 - (this.xy[2 * i + 1] - cy) * s;
    }
    ctx.globalAlpha = 0.75;
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = colour(this.labels[i]);
      ctx.beginPath();
      ctx.arc(this.screen[2 * i], this.screen[2 * i + 1], 2.6, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  private hover(e: MouseEvent): void {
    const r = this.canvas.getBoundingClientRect();
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    let best = -1;
    let bestD = 64; // within 8 px
    for (let i = 0; i < this.labels.length; i++) {
      const d = (this.screen[2 * i] - mx) ** 2 + (this.screen[2 * i + 1] - my) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    if (best < 0) {
      this.tip.hidden = true;
      return;
    }
    const c = this.tip.querySelector('canvas')!;
    const img = new ImageData(SIDE, SIDE);
    for (let p = 0; p < PX; p++) {
      const v = this.images[best * PX + p];
      img.data.set([v, v, v, 255], 4 * p);
    }
    c.getContext('2d')!.putImageData(img, 0, 0);
    this.tip.querySelector('span')!.textContent = `#${best} · ${this.classes[this.labels[best]] ?? this.labels[best]}`;
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(mx + 12, this.canvas.clientWidth - 100)}px`;
    this.tip.style.top = `${Math.max(my - 100, 0)}px`;
  }
}
