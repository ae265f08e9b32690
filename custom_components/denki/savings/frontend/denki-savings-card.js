/*
 * denki-savings-card: the household's savings, challenge, streak, level and card collection.
 *
 * Plain JavaScript, no build step: Denki serves this file and registers it with
 * the frontend itself, so the card is in the card picker without adding a
 * resource. It finds the savings entry's entities by their translation keys
 * (platform "denki"), so its configuration is optional: a title and whether
 * to show the card collection. Texts follow the user's Home Assistant
 * language (Japanese or English); colours come from the theme's variables.
 */

const VERSION = "0.1.0";

const STRINGS = {
  en: {
    title: "Savings",
    level: "Level",
    points: "points",
    next_level: "{points} to level {level}",
    streak: "Streak",
    best: "best {best}",
    shields: "Shields",
    challenge: "This week's challenge",
    no_challenge: "A challenge starts once Denki has five days of your use.",
    days: "{met} / {needed} days",
    completed: "Completed!",
    last_event: "Last event",
    no_event: "No demand-response event yet.",
    saved: "{kwh} kWh saved, about ¥{yen}",
    baseline: "Baseline",
    actual: "Actual",
    cards: "Cards",
    missing: "The Denki savings entry is not set up, or its entities are disabled.",
    kinds: {
      evening_peak: "Evening peak (17:00-21:00) {target}% below your usual on {needed} weekdays",
      morning_peak: "Morning peak (07:00-10:00) {target}% below your usual on {needed} weekdays",
      daily_total: "Whole day {target}% below your usual on {needed} days",
    },
    card_names: {
      first_event: "First event",
      streak_5: "Five in a row",
      streak_10: "Ten in a row",
      peak_shaver: "Peak shaver",
      saved_10_kwh: "10 kWh saved",
      first_challenge: "First challenge",
      four_week_run: "Four-week run",
      shield_saved_streak: "Saved by a shield",
      solar_self_consumption: "Sun at home",
      ecocute_night_shift: "Night-time boiling",
    },
    rarity: { common: "Common", uncommon: "Uncommon", rare: "Rare", epic: "Epic" },
    editor_title: "Title",
    editor_show_cards: "Show the card collection",
  },
  ja: {
    title: "節電",
    level: "レベル",
    points: "ポイント",
    next_level: "あと {points} ポイントでレベル {level}",
    streak: "連続達成",
    best: "最高 {best}",
    shields: "シールド",
    challenge: "今週のチャレンジ",
    no_challenge: "ご家庭の使用量が 5 日分たまると、チャレンジが始まります。",
    days: "{met} / {needed} 日",
    completed: "達成！",
    last_event: "前回のイベント",
    no_event: "デマンドレスポンスのイベントはまだありません。",
    saved: "{kwh} kWh 節電、約 {yen} 円",
    baseline: "ベースライン",
    actual: "実績",
    cards: "カード",
    missing: "Denki の節電エントリーが設定されていないか、エンティティが無効です。",
    kinds: {
      evening_peak: "平日 {needed} 日、夕方のピーク（17〜21 時）をいつもより {target}% 減らす",
      morning_peak: "平日 {needed} 日、朝のピーク（7〜10 時）をいつもより {target}% 減らす",
      daily_total: "{needed} 日、1 日の使用量をいつもより {target}% 減らす",
    },
    card_names: {
      first_event: "はじめてのイベント",
      streak_5: "5 連続",
      streak_10: "10 連続",
      peak_shaver: "ピークカッター",
      saved_10_kwh: "10 kWh 節電",
      first_challenge: "はじめてのチャレンジ",
      four_week_run: "4 週連続",
      shield_saved_streak: "シールドで守った",
      solar_self_consumption: "太陽をおうちで",
      ecocute_night_shift: "夜のお湯わかし",
    },
    rarity: { common: "コモン", uncommon: "アンコモン", rare: "レア", epic: "エピック" },
    editor_title: "タイトル",
    editor_show_cards: "カードのコレクションを表示",
  },
};

const CARD_ORDER = [
  ["first_event", "common"],
  ["first_challenge", "common"],
  ["ecocute_night_shift", "uncommon"],
  ["shield_saved_streak", "uncommon"],
  ["streak_5", "rare"],
  ["peak_shaver", "rare"],
  ["solar_self_consumption", "rare"],
  ["saved_10_kwh", "rare"],
  ["four_week_run", "epic"],
  ["streak_10", "epic"],
];

const KEYS = [
  "points",
  "level",
  "level_progress",
  "streak",
  "shields",
  "challenge",
  "cards",
  "last_event_saved",
  "last_event_saved_yen",
];

function language(hass) {
  const lang = (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
  return lang.toLowerCase().startsWith("ja") ? "ja" : "en";
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : ""));
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The savings entities, by translation key, from the frontend's entity registry. */
function savingsStates(hass) {
  const found = {};
  if (!hass || !hass.entities) return found;
  for (const entry of Object.values(hass.entities)) {
    if (entry.platform !== "denki" || !KEYS.includes(entry.translation_key)) continue;
    const state = hass.states[entry.entity_id];
    if (state) found[entry.translation_key] = state;
  }
  return found;
}

function number(state) {
  if (!state) return null;
  const value = Number(state.state);
  return Number.isFinite(value) ? value : null;
}

const STYLE = `
  :host { display: block; container-type: inline-size; }
  .card { padding: 16px; color: var(--primary-text-color); }
  .head { display: flex; align-items: baseline; justify-content: space-between; gap: 8px; }
  h2 { margin: 0; font-size: 1.25em; font-weight: 500; }
  .level { color: var(--primary-color); font-weight: 600; white-space: nowrap; }
  .bar { height: 8px; border-radius: 4px; background: var(--divider-color, #ccc); margin: 8px 0 4px; overflow: hidden; }
  .bar > div { height: 100%; background: var(--primary-color); }
  .muted { color: var(--secondary-text-color); font-size: 0.9em; }
  .body { display: grid; grid-template-columns: 1fr; gap: 16px; margin-top: 12px; }
  @container (min-width: 600px) { .body { grid-template-columns: 1fr 1fr; } .wide { grid-column: 1 / -1; } }
  section h3 { margin: 0 0 6px; font-size: 1em; font-weight: 500; }
  .stats { display: flex; gap: 16px; flex-wrap: wrap; }
  .stat b { display: block; font-size: 1.6em; font-weight: 600; }
  .days { display: flex; gap: 6px; margin: 6px 0; }
  .day { width: 14px; height: 14px; border-radius: 50%; border: 2px solid var(--primary-color); }
  .day.met { background: var(--primary-color); }
  .day.missing { border-style: dashed; border-color: var(--secondary-text-color); }
  .done { color: var(--success-color, #2e7d32); font-weight: 600; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); gap: 8px; }
  .tile { border-radius: 8px; padding: 8px; min-height: 56px; font-size: 0.85em; border: 2px solid var(--divider-color, #ccc); }
  .tile.common { border-color: var(--secondary-text-color); }
  .tile.uncommon { border-color: var(--success-color, #2e7d32); }
  .tile.rare { border-color: var(--info-color, #1565c0); }
  .tile.epic { border-color: var(--warning-color, #b26a00); }
  .tile.locked { opacity: 0.35; border-style: dashed; }
  .tile small { display: block; color: var(--secondary-text-color); }
  svg { width: 100%; height: 80px; }
  .baseline { fill: var(--divider-color, #ccc); }
  .actual { fill: var(--primary-color); }
  .key-baseline { color: var(--divider-color, #ccc); }
  .key-actual { color: var(--primary-color); }
`;

class DenkiSavingsCard extends HTMLElement {
  static getConfigElement() {
    return document.createElement("denki-savings-card-editor");
  }

  static getStubConfig() {
    return { type: "custom:denki-savings-card", show_cards: true };
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = { show_cards: true };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = { show_cards: true, ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  getCardSize() {
    return this._config.show_cards ? 8 : 5;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  _render() {
    if (!this._hass) return;
    const t = STRINGS[language(this._hass)];
    const states = savingsStates(this._hass);
    const title = escape(this._config.title || t.title);
    const wrap = (inner) =>
      `<style>${STYLE}</style><ha-card><div class="card">${inner}</div></ha-card>`;
    if (!states.points) {
      this.shadowRoot.innerHTML = wrap(`<h2>${title}</h2><p class="muted">${escape(t.missing)}</p>`);
      return;
    }
    const lang = language(this._hass);
    const fmt = new Intl.NumberFormat(lang === "ja" ? "ja-JP" : "en");
    const points = number(states.points) ?? 0;
    const level = number(states.level) ?? 1;
    const progress = number(states.level_progress) ?? 0;
    const next = states.level ? states.level.attributes.next_level_points : null;
    const streak = number(states.streak) ?? 0;
    const best = states.streak ? states.streak.attributes.best_streak ?? streak : streak;
    const shields = number(states.shields) ?? 0;
    const head = `
      <div class="head"><h2>${title}</h2><span class="level">${escape(t.level)} ${level}</span></div>
      <div class="bar" role="progressbar" aria-valuenow="${progress}" aria-valuemin="0" aria-valuemax="100"><div style="width:${Math.min(100, Math.max(0, progress))}%"></div></div>
      <div class="muted">${fmt.format(points)} ${escape(t.points)}${
        next != null ? ` · ${escape(format(t.next_level, { points: fmt.format(next - points), level: level + 1 }))}` : ""
      }</div>`;
    const stats = `
      <section><div class="stats">
        <div class="stat"><span class="muted">${escape(t.streak)}</span><b>${streak}</b><span class="muted">${escape(format(t.best, { best }))}</span></div>
        <div class="stat"><span class="muted">${escape(t.shields)}</span><b>${shields}</b></div>
      </div></section>`;
    const body = [stats, this._challenge(states.challenge, t), this._event(states, t, fmt)];
    if (this._config.show_cards) body.push(this._cards(states.cards, t));
    this.shadowRoot.innerHTML = wrap(`${head}<div class="body">${body.join("")}</div>`);
  }

  _challenge(state, t) {
    const attributes = state ? state.attributes : {};
    if (!state || !attributes.challenge) {
      return `<section><h3>${escape(t.challenge)}</h3><p class="muted">${escape(t.no_challenge)}</p></section>`;
    }
    const template = t.kinds[attributes.challenge] || attributes.challenge;
    const text = format(template, { target: attributes.target_percent, needed: attributes.days_needed });
    const met = number(state) ?? 0;
    const days = Object.entries(attributes.days || {})
      .map(([day, kwh]) => `<span class="day ${kwh <= attributes.limit_kwh + 1e-6 ? "met" : ""}" title="${escape(day)}: ${escape(kwh)} kWh"></span>`)
      .concat((attributes.missing_days || []).map((day) => `<span class="day missing" title="${escape(day)}"></span>`))
      .join("");
    const status = attributes.completed
      ? `<span class="done">${escape(t.completed)}</span>`
      : escape(format(t.days, { met, needed: attributes.days_needed }));
    return `<section class="challenge"><h3>${escape(t.challenge)}</h3><div>${escape(text)}</div><div class="days">${days}</div><div>${status}</div></section>`;
  }

  _event(states, t, fmt) {
    const kwh = number(states.last_event_saved);
    if (kwh === null) {
      return `<section><h3>${escape(t.last_event)}</h3><p class="muted">${escape(t.no_event)}</p></section>`;
    }
    const yen = number(states.last_event_saved_yen) ?? 0;
    const slots = (states.last_event_saved && states.last_event_saved.attributes.slots) || [];
    let chart = "";
    if (slots.length) {
      const top = Math.max(...slots.map((s) => Math.max(s.baseline || 0, s.actual || 0)), 0.001);
      const width = 100 / slots.length;
      chart = `<svg viewBox="0 0 100 80" preserveAspectRatio="none" aria-label="${escape(t.baseline)} / ${escape(t.actual)}">${slots
        .map((s, i) => {
          const b = ((s.baseline || 0) / top) * 78;
          const a = ((s.actual || 0) / top) * 78;
          const x = i * width;
          return `<rect class="baseline" x="${x + width * 0.1}" y="${80 - b}" width="${width * 0.4}" height="${b}"></rect><rect class="actual" x="${x + width * 0.5}" y="${80 - a}" width="${width * 0.4}" height="${a}"></rect>`;
        })
        .join("")}</svg><div class="muted"><span class="key-baseline">■</span> ${escape(t.baseline)} <span class="key-actual">■</span> ${escape(t.actual)}</div>`;
    }
    return `<section class="event"><h3>${escape(t.last_event)}</h3><div>${escape(format(t.saved, { kwh: fmt.format(kwh), yen: fmt.format(Math.round(yen)) }))}</div>${chart}</section>`;
  }

  _cards(state, t) {
    const earned = {};
    for (const award of (state && state.attributes.cards) || []) earned[award.card] = award;
    const tiles = CARD_ORDER.map(([key, rarity]) => {
      const award = earned[key];
      const name = escape(t.card_names[key] || key);
      const detail = award ? `${escape(t.rarity[rarity])}${award.times > 1 ? ` ×${award.times}` : ""}` : escape(t.rarity[rarity]);
      return `<div class="tile ${rarity} ${award ? "earned" : "locked"}" data-card="${key}">${name}<small>${detail}</small></div>`;
    }).join("");
    return `<section class="wide"><h3>${escape(t.cards)} ${Object.keys(earned).length} / ${CARD_ORDER.length}</h3><div class="cards">${tiles}</div></section>`;
  }
}

class DenkiSavingsCardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  _render() {
    const t = STRINGS[language(this._hass)];
    this.shadowRoot.innerHTML = `
      <style>label { display: block; margin: 8px 0; color: var(--primary-text-color); } input[type=text] { width: 100%; box-sizing: border-box; }</style>
      <label>${escape(t.editor_title)}<input type="text" name="title" value="${escape(this._config.title || "")}" placeholder="${escape(t.title)}"></label>
      <label><input type="checkbox" name="show_cards" ${this._config.show_cards === false ? "" : "checked"}> ${escape(t.editor_show_cards)}</label>`;
    this.shadowRoot.querySelector("input[name=title]").addEventListener("change", (ev) => {
      const title = ev.target.value.trim();
      const config = { ...this._config };
      if (title) config.title = title;
      else delete config.title;
      this._changed(config);
    });
    this.shadowRoot.querySelector("input[name=show_cards]").addEventListener("change", (ev) => {
      this._changed({ ...this._config, show_cards: ev.target.checked });
    });
  }

  _changed(config) {
    this._config = config;
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
  }
}

if (!customElements.get("denki-savings-card")) {
  customElements.define("denki-savings-card", DenkiSavingsCard);
  customElements.define("denki-savings-card-editor", DenkiSavingsCardEditor);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: "denki-savings-card",
    name: "Denki savings",
    description: "Savings, weekly challenge, streak, level and card collection (Denki).",
    preview: true,
    documentationURL: "https://github.com/denki-energy/denki#savings",
  });
  console.info(`denki-savings-card ${VERSION}`);
}
