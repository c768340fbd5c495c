// Pieces the reach pages share: numbers in the user's language, figures
// that may be "not available", the definition next to every figure, the
// definitions legend, and the hand-rolled SVG line chart with its data
// table.

import { html, nothing, svg, type TemplateResult } from 'lit-html';
import type { FigureRule, Lang, MetricDefinition, ReachFigure, ReachTotals } from '../api';
import { getLang, t } from '../i18n';
import { platformName } from '../platforms';
import './reach.css';

/** fmtNum writes n with Indian digit grouping (12,34,567). */
export function fmtNum(n: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', { maximumFractionDigits: 0 }).format(n);
}

/** notAvailable is how a figure the platform does not give is shown: never as 0. */
export function notAvailable(): TemplateResult {
  return html`<span class="reach-na" data-na="true">${t('reach.notAvailable')}</span>`;
}

/** postFigure shows one post's figure, or "not available" for null. */
export function postFigure(v: number | null | undefined, lang: Lang): TemplateResult {
  return v === null || v === undefined ? notAvailable() : html`<span data-value=${v}>${fmtNum(v, lang)}</span>`;
}

/** totalFigure is a sum and how many posts it covers (0: not available). */
export function totals(t0: ReachTotals, f: ReachFigure): { sum: number; posts: number } {
  switch (f) {
    case 'reach':
      return { sum: t0.reach, posts: t0.reachPosts };
    case 'views':
      return { sum: t0.views, posts: t0.viewsPosts };
    case 'engagements':
      return { sum: t0.engagements, posts: t0.engagementPosts };
  }
}

/** sumFigure shows a sum, "not available" when no post has it. */
export function sumFigure(t0: ReachTotals, f: ReachFigure, lang: Lang): TemplateResult {
  const { sum, posts } = totals(t0, f);
  return posts === 0 ? notAvailable() : html`<span data-value=${sum}>${fmtNum(sum, lang)}</span>`;
}

export function figureName(f: ReachFigure | 'posts'): string {
  return t(`reach.fig.${f}`);
}

/** ruleText is how a figure is counted, or why it is not available, in the user's language. */
export function ruleText(r: FigureRule): string {
  return getLang() === 'hi' && r.textHi ? r.textHi : r.text;
}

/** versions is the API versions a definition applies to, in the user's language. */
function versions(d: MetricDefinition): string {
  return getLang() === 'hi' && d.versionsHi ? d.versionsHi : d.versions;
}

/** notes are a definition's caveats in the user's language. */
function notes(d: MetricDefinition): string {
  return (getLang() === 'hi' && d.notesHi ? d.notesHi : d.notes) ?? '';
}

/** definitionText says how figure f is counted on each platform of defs. */
export function definitionText(f: ReachFigure, defs: MetricDefinition[]): string {
  const parts = defs.map((d) => {
    const r = d[f];
    const name = platformName(d.platform) + (d.versions && defs.some((o) => o !== d && o.platform === d.platform) ? ` (${versions(d)})` : '');
    return r.metrics && r.metrics.length > 0 ? `${name}: ${ruleText(r)}` : t('reach.notReported', { platform: name, why: ruleText(r) });
  });
  return `${t(`reach.figHelp.${f}`)} ${t('reach.defsFor', { list: parts.join(' · ') })}`;
}

let tipSeq = 0;

/**
 * defTip is the ⓘ next to a figure: its definition on hover (title) and, as
 * a disclosure, for keyboards and screen readers.
 */
export function defTip(f: ReachFigure | 'posts', defs: MetricDefinition[], testid?: string): TemplateResult {
  const id = `reach-def-${++tipSeq}`;
  const generic = t(`reach.figHelp.${f}`);
  const text = f === 'posts' ? generic : definitionText(f, defs);
  return html`<details class="reach-def" data-testid=${testid ?? nothing}>
    <summary title=${text} aria-describedby=${id}><span aria-hidden="true">ⓘ</span><span class="visually-hidden">${t('reach.howCounted', { figure: figureName(f) })}</span></summary>
    <div class="reach-def__body" id=${id}>
      <p>${generic}</p>
      ${f === 'posts'
        ? nothing
        : html`<ul>
            ${defs.map((d) => {
              const r = d[f];
              return html`<li><strong>${platformName(d.platform)}</strong>${d.versions ? ` (${versions(d)})` : ''}:
                ${r.metrics && r.metrics.length > 0 ? ruleText(r) : html`<em>${t('reach.notAvailable')}</em> — ${ruleText(r)}`}</li>`;
            })}
          </ul>`}
    </div>
  </details>`;
}

/** definitionsLegend lists every definition in view, platform by platform. */
export function definitionsLegend(defs: MetricDefinition[], headingId = 'reach-defs-title'): TemplateResult {
  const rule = (f: ReachFigure, d: MetricDefinition) => {
    const r = d[f];
    return html`<li>
      <strong>${figureName(f)}:</strong>
      ${r.metrics && r.metrics.length > 0
        ? html`${ruleText(r)} <span class="muted">(${t('reach.defs.metrics', { metrics: r.metrics.join(', ') })})</span>`
        : html`<em>${t('reach.notAvailable')}</em> — ${ruleText(r)}`}
    </li>`;
  };
  return html`<section aria-labelledby=${headingId} class="section" data-testid="reach-definitions">
    <h2 id=${headingId}>${t('reach.defs.title')}</h2>
    <p>${t('reach.defs.intro')}</p>
    <dl class="reach-defs">
      ${defs.map(
        (d) => html`<dt data-testid="reach-def-${d.id}">${platformName(d.platform)} <span class="muted">· ${t('reach.defs.versions', { versions: versions(d) })}</span></dt>
          <dd>
            <ul>
              ${rule('reach', d)} ${rule('views', d)} ${rule('engagements', d)}
            </ul>
            ${notes(d) ? html`<p class="muted">${notes(d)}</p>` : nothing}
          </dd>`,
      )}
    </dl>
  </section>`;
}

// ---- The chart ----

export interface ChartSeries {
  figure: ReachFigure;
  /** one value per label; null: not available there (a gap) */
  values: (number | null)[];
}

export interface ChartSpec {
  id: string;
  title: string;
  desc: string;
  labels: string[];
  /** the label's machine form (YYYY-MM-DD) per point */
  keys: string[];
  series: ChartSeries[];
  lang: Lang;
}

const W = 720;
const H = 260;
const PAD = { left: 64, right: 16, top: 16, bottom: 40 };

/**
 * axisTicks returns the value axis's ticks for counts up to max: from 0 in
 * equal whole steps of 1, 2 or 5 × a power of ten, at most five, the last
 * at or above max (0–1 when there is nothing to show). Counts are whole, so
 * a label never reads the same as its neighbour.
 */
export function axisTicks(max: number): number[] {
  const raw = Math.max(max / 4, 1);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p);
  const top = step * Math.max(1, Math.ceil(max / step));
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  return ticks;
}

/**
 * dateLabelAt reports whether point i of n carries its date under the
 * axis: the latest always, then every `every` points back from it, so that
 * no two labels crowd each other.
 */
export function dateLabelAt(i: number, n: number, every: number): boolean {
  return (n - 1 - i) % every === 0;
}

/** lineChart draws the series as lines with points (a point's title is its value), with a legend; the caller adds the table. */
export function lineChart(c: ChartSpec): TemplateResult {
  const n = c.labels.length;
  const ticks = axisTicks(Math.max(0, ...c.series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const max = ticks[ticks.length - 1] ?? 1;
  const x = (i: number) => PAD.left + (n <= 1 ? (W - PAD.left - PAD.right) / 2 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const every = Math.max(1, Math.ceil(n / 8));
  const paths = c.series.map((s) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
      pen = true;
    });
    return { s, d: d.trim() };
  });
  const totalsAttr = Object.fromEntries(c.series.map((s) => [s.figure, s.values.reduce<number>((a, v) => a + (v ?? 0), 0)]));
  return html`<figure class="reach-figure">
    <svg
      class="reach-chart"
      viewBox="0 0 ${W} ${H}"
      role="img"
      aria-labelledby="${c.id}-title ${c.id}-desc"
      data-testid="reach-chart"
      data-points=${n}
      data-total-reach=${totalsAttr.reach ?? nothing}
      data-total-engagements=${totalsAttr.engagements ?? nothing}
      data-total-views=${totalsAttr.views ?? nothing}
    >
      <title id="${c.id}-title">${c.title}</title>
      <desc id="${c.id}-desc">${c.desc}</desc>
      ${ticks.map(
        (tv) => svg`<line class="grid" x1=${PAD.left} x2=${W - PAD.right} y1=${y(tv)} y2=${y(tv)}></line>
          <text class="axis-label" x=${PAD.left - 6} y=${y(tv) + 4} text-anchor="end">${fmtNum(tv, c.lang)}</text>`,
      )}
      ${c.labels.map((l, i) =>
        dateLabelAt(i, n, every)
          ? svg`<text class="axis-label" x=${x(i)} y=${H - PAD.bottom + 16} text-anchor="middle">${l}</text>`
          : nothing,
      )}
      ${paths.map((p) => (p.d ? svg`<path class="series-${p.s.figure}" d=${p.d}></path>` : nothing))}
      ${c.series.map((s) =>
        s.values.map((v, i) =>
          v === null
            ? nothing
            : s.figure === 'engagements'
              ? svg`<rect class="point-engagements" x=${x(i) - 3.5} y=${y(v) - 3.5} width="7" height="7" data-testid="reach-point-${s.figure}-${c.keys[i]}" data-value=${v}>
                  <title>${t('reach.chart.point', { date: c.labels[i] ?? '', figure: figureName(s.figure), value: fmtNum(v, c.lang) })}</title></rect>`
              : svg`<circle class="point-${s.figure}" cx=${x(i)} cy=${y(v)} r="3.5" data-testid="reach-point-${s.figure}-${c.keys[i]}" data-value=${v}>
                  <title>${t('reach.chart.point', { date: c.labels[i] ?? '', figure: figureName(s.figure), value: fmtNum(v, c.lang) })}</title></circle>`,
        ),
      )}
    </svg>
    <figcaption>
      <ul class="reach-legend" aria-hidden="true">
        ${c.series.map(
          (s) => html`<li>
            <svg width="28" height="10" viewBox="0 0 28 10"><path class="series-${s.figure}" d="M0 5 L28 5" style="stroke-width:2.5;fill:none;stroke:${
              s.figure === 'reach' ? 'var(--brand)' : s.figure === 'engagements' ? 'var(--good)' : 'var(--warn)'
            };${s.figure === 'engagements' ? 'stroke-dasharray:6 4' : s.figure === 'views' ? 'stroke-dasharray:2 3' : ''}"></path></svg
            >${figureName(s.figure)}
          </li>`,
        )}
      </ul>
    </figcaption>
  </figure>`;
}
