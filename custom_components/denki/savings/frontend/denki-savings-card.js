/*
 * denki-savings-card: the household's savings, challenge, streak, level and card collection,
 * the next demand-response event with what Denki will do (and a one-tap opt-out), and the
 * household's use beside similar Japanese homes'.
 *
 * Plain JavaScript, no build step: Denki serves this file and registers it with
 * the frontend itself, so the card is in the card picker without adding a
 * resource. It finds the savings entry's entities, and the aggregators' "next
 * event start" sensors, by their translation keys (platform "denki"), so its
 * configuration is optional: a title, whether to show the card collection, and
 * the household size and region to compare with similar homes. Texts follow
 * the user's Home Assistant language (Japanese or English); colours come from
 * the theme's variables.
 *
 * The similar homes' figures are the Ministry of the Environment's household
 * survey, served by Denki beside this file (HOUSEHOLD_USE_URL); the comparison
 * below mirrors lib/savings/comparison.py, which the tests hold it to.
 */

const VERSION = "0.2.0";
const HOUSEHOLD_USE_URL = "/denki/household_use.json";
const NEXT_EVENT_KEY = "next_event_start";
const DAYS_A_YEAR = 365;
const LARGEST_SIZE = 6;
const MIN_DAYS = 7;
const BETTER_BELOW = 0.95;
const ABOUT_UP_TO = 1.05;
const REGIONS = [
  "hokkaido",
  "tohoku",
  "kanto_koshin",
  "hokuriku",
  "tokai",
  "kinki",
  "chugoku",
  "shikoku",
  "kyushu",
  "okinawa",
];

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
    editor_household_size: "Household size (to compare with similar homes)",
    editor_region: "Region",
    editor_unset: "Not set",
    next_event: "Next event",
    event_when: "{when}, for {duration}",
    event_open: "{when}, until further notice",
    hours_minutes: "{h} h {m} min",
    hours: "{h} h",
    minutes: "{m} min",
    event_level: "Level {level} ({name})",
    level_names: { 1: "moderate", 2: "high", 3: "emergency" },
    import_limit: "Import limit: {kw} kW",
    plan_title: "What Denki will do",
    plan: {
      climate: "{name}: {from} → {to} {unit}",
      water_heater: "{name}: boiling postponed",
      battery: "{name}: discharging",
      battery_option: "{name}: {to}",
      ev: "{name}: paused",
      light: "{name}: {from} % → {to} %",
      other: "{name}: {from} → {to}",
    },
    no_plan: "Denki has nothing to change for it right now.",
    level_meaning: {
      1: "Level 1: the grid is busy. Using a little less than usual helps.",
      2: "Level 2: the grid is tight. Put off what can wait, such as laundry, the dishwasher or charging.",
      3: "Level 3: an emergency. Use as little as you can until it ends.",
    },
    limit_meaning: "Keep your home's use below {kw} kW during the event.",
    generic_meaning: "Your aggregator asks for less use during this time.",
    opt_out: "Opt out",
    opt_in: "Opt in",
    opted_out: "You opted out: Denki leaves your appliances as they are.",
    opt_error: "That did not go through: {error}",
    savings_title: "Saved so far",
    month_saved: "This month {kwh} kWh, about ¥{yen}",
    total_saved: "{kwh} kWh in all",
    events_chart: "Saved at each event",
    chart_saved: "{date}: {kwh} kWh",
    chart_opted_out: "{date}: opted out",
    chart_unmeasured: "{date}: not measured",
    compare_title: "Compared with similar homes",
    compare_who: "{people} · {region} · last {days} days",
    compare_yours: "Your home",
    compare_similar: "Similar homes",
    per_day: "{kwh} kWh a day",
    people: { 1: "1 person", 2: "2 people", 3: "3 people", 4: "4 people", 5: "5 people", 6: "6 or more people" },
    all_japan: "all of Japan",
    verdict: {
      better: "Great! {percent}% less than similar homes.",
      about: "Good: about the same as similar homes.",
      above: "{percent}% more than similar homes. Moving use out of the evening peak helps.",
    },
    well_done: "Well done",
    compare_wait: "Denki compares once it has {days} whole days of your use.",
    compare_unavailable: "The figures of similar homes could not be loaded.",
    compare_source: "Source: Ministry of the Environment, Survey on CO2 emissions in the household sector ({years}). A yearly average, not adjusted for the season.",
    fiscal_year: "FY{year}",
    fiscal_years: "FY{first} and FY{second}",
    region_national: "Denki has no checked figure for {region} yet, so this compares with all of Japan.",
    regions: {
      hokkaido: "Hokkaido",
      tohoku: "Tohoku",
      kanto_koshin: "Kanto-Koshin",
      hokuriku: "Hokuriku",
      tokai: "Tokai",
      kinki: "Kinki",
      chugoku: "Chugoku",
      shikoku: "Shikoku",
      kyushu: "Kyushu",
      okinawa: "Okinawa",
    },
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
    editor_household_size: "世帯人数（似た家庭との比較用）",
    editor_region: "地方",
    editor_unset: "未設定",
    next_event: "次のイベント",
    event_when: "{when} から {duration}",
    event_open: "{when} から（終了時刻未定）",
    hours_minutes: "{h} 時間 {m} 分",
    hours: "{h} 時間",
    minutes: "{m} 分",
    event_level: "レベル {level}（{name}）",
    level_names: { 1: "中", 2: "高", 3: "緊急" },
    import_limit: "受電の上限：{kw} kW",
    plan_title: "Denki が行うこと",
    plan: {
      climate: "{name}：{from} → {to} {unit}",
      water_heater: "{name}：沸き上げを後回し",
      battery: "{name}：放電",
      battery_option: "{name}：{to}",
      ev: "{name}：充電を一時停止",
      light: "{name}：{from} % → {to} %",
      other: "{name}：{from} → {to}",
    },
    no_plan: "いまのところ Denki が変える家電はありません。",
    level_meaning: {
      1: "レベル 1：電力の需要が多めです。いつもより少し控えると助かります。",
      2: "レベル 2：電力がひっ迫しています。洗濯や食洗機、充電など、後でできることは後回しに。",
      3: "レベル 3：緊急です。終わるまで、できるだけ電気を使わないでください。",
    },
    limit_meaning: "イベント中は、ご家庭の使用を {kw} kW 未満に抑えてください。",
    generic_meaning: "この時間帯は電気の使用を控えるよう求められています。",
    opt_out: "参加しない",
    opt_in: "参加する",
    opted_out: "このイベントには参加しません。家電はそのままにします。",
    opt_error: "変更できませんでした：{error}",
    savings_title: "これまでの節電",
    month_saved: "今月 {kwh} kWh、約 {yen} 円",
    total_saved: "合計 {kwh} kWh",
    events_chart: "イベントごとの節電量",
    chart_saved: "{date}：{kwh} kWh",
    chart_opted_out: "{date}：不参加",
    chart_unmeasured: "{date}：計測なし",
    compare_title: "似た家庭との比較",
    compare_who: "{people}・{region}・直近 {days} 日",
    compare_yours: "お宅",
    compare_similar: "似た家庭",
    per_day: "1 日 {kwh} kWh",
    people: { 1: "1 人", 2: "2 人", 3: "3 人", 4: "4 人", 5: "5 人", 6: "6 人以上" },
    all_japan: "全国",
    verdict: {
      better: "すばらしい！似た家庭より {percent}% 少なく済んでいます。",
      about: "よい調子です。似た家庭とほぼ同じです。",
      above: "似た家庭より {percent}% 多めです。夕方のピークを避けて使うと効果的です。",
    },
    well_done: "よくできました",
    compare_wait: "ご家庭の使用量が丸 {days} 日分そろうと比較できます。",
    compare_unavailable: "似た家庭の数値を読み込めませんでした。",
    compare_source: "出典：環境省「家庭部門のCO2排出実態統計調査」（{years}）。年間の平均で、季節による補正はしていません。",
    fiscal_year: "{year} 年度",
    fiscal_years: "{first}・{second} 年度",
    region_national: "{region}の確認済みの数値がまだないため、全国と比べています。",
    regions: {
      hokkaido: "北海道",
      tohoku: "東北",
      kanto_koshin: "関東甲信",
      hokuriku: "北陸",
      tokai: "東海",
      kinki: "近畿",
      chugoku: "中国",
      shikoku: "四国",
      kyushu: "九州",
      okinawa: "沖縄",
    },
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

/** The soonest pending event of the aggregators' "next event start" sensors; null without one. */
function nextEventState(hass) {
  let found = null;
  if (!hass || !hass.entities) return null;
  for (const entry of Object.values(hass.entities)) {
    if (entry.platform !== "denki" || entry.translation_key !== NEXT_EVENT_KEY) continue;
    const state = hass.states[entry.entity_id];
    const attributes = (state && state.attributes) || {};
    const start = Date.parse(attributes.start);
    if (!attributes.event_id || !Number.isFinite(start)) continue;
    if (!found || start < found.start) found = { state, start };
  }
  return found && found.state;
}

/** The planned appliances of an event (the sensor's `planned` attribute), well formed only. */
function plannedItems(attributes) {
  const planned = attributes && attributes.planned;
  if (!Array.isArray(planned)) return [];
  return planned.filter((item) => item && typeof item.entity_id === "string");
}

function localeTag(hass, lang) {
  if (lang === "ja") return "ja-JP";
  const tag = (hass.locale && hass.locale.language) || hass.language || "en";
  return tag.toLowerCase().startsWith("en") ? tag : "en";
}

/** Home Assistant's time zone setting: the browser's ("local") or the server's (the default). */
function timeZone(hass) {
  if (hass.locale && hass.locale.time_zone === "local") return undefined;
  return (hass.config && hass.config.time_zone) || undefined;
}

function dateFormat(hass, lang, options) {
  const format12 = hass.locale && hass.locale.time_format;
  const hour12 = format12 === "12" ? true : format12 === "24" ? false : undefined;
  const extra = "hour" in options && hour12 !== undefined ? { hour12 } : {};
  try {
    return new Intl.DateTimeFormat(localeTag(hass, lang), { ...options, ...extra, timeZone: timeZone(hass) });
  } catch (err) {
    return new Intl.DateTimeFormat(localeTag(hass, lang), { ...options, ...extra }); // an unknown zone
  }
}

function duration(ms, t) {
  const minutes = Math.max(0, Math.round(ms / 60000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h && m) return format(t.hours_minutes, { h, m });
  return h ? format(t.hours, { h }) : format(t.minutes, { m });
}

/** A light's brightness (0-255) in percent, as the more-info dialog shows it. */
function brightnessPercent(value) {
  return Math.round((Number(value) / 255) * 100);
}

/** One line of what Denki will do to an appliance. */
function plannedLine(item, hass, t, decimal) {
  const state = hass.states[item.entity_id];
  const name = (state && state.attributes && state.attributes.friendly_name) || item.entity_id;
  const plan = t.plan;
  const shown = (value) => (typeof value === "number" ? decimal.format(value) : String(value ?? "?"));
  switch (item.role) {
    case "climate":
      if (item.watch === "temperature") {
        const unit = (hass.config && hass.config.unit_system && hass.config.unit_system.temperature) || "°C";
        return format(plan.climate, { name, from: shown(item.from), to: shown(item.to), unit });
      }
      break;
    case "water_heater":
      return format(plan.water_heater, { name });
    case "battery":
      return item.to === "discharging" ? format(plan.battery, { name }) : format(plan.battery_option, { name, to: shown(item.to) });
    case "ev":
      return format(plan.ev, { name });
    case "light":
      if (item.watch === "brightness") {
        return format(plan.light, { name, from: brightnessPercent(item.from), to: brightnessPercent(item.to) });
      }
      break;
    default:
      break;
  }
  return format(plan.other, { name, from: shown(item.from), to: shown(item.to) });
}

// --- similar homes: mirrors lib/savings/comparison.py ------------------------------------

let householdUse = null;

/** The similar homes' figures, fetched once a page: {status: "loading" | "ready" | "error", data}. */
function loadHouseholdUse(onDone) {
  if (!householdUse) {
    const load = { status: "loading", data: null, waiting: new Set() };
    householdUse = load;
    Promise.resolve()
      .then(() => fetch(`${HOUSEHOLD_USE_URL}?v=${VERSION}`))
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then(
        (data) => {
          load.data = data;
          load.status = "ready";
        },
        () => {
          load.status = "error";
        },
      )
      .then(() => {
        for (const done of load.waiting) done();
        load.waiting.clear();
      });
  }
  if (householdUse.status === "loading" && onDone) householdUse.waiting.add(onDone);
  return householdUse;
}

/** Similar homes' kWh a year: national x region / regional base (checked figures only) x size. */
function similarHomes(data, size, region) {
  const persons = Math.min(Math.max(1, Math.floor(size)), LARGEST_SIZE);
  const sizes = data.household_size;
  const kwh = (data.national.kwh_per_year * sizes.sizes[String(persons)].t_co2_per_year) / sizes.all.t_co2_per_year;
  const entry = region ? data.regions[region] : null;
  const regional = entry && entry.verified === true && entry.kwh_per_year > 0 ? entry.kwh_per_year : null;
  if (regional === null) return { size: persons, region: null, kwh_per_year: kwh };
  return { size: persons, region, kwh_per_year: (kwh * regional) / data.regional_base.kwh_per_year };
}

/** The household's whole days (the challenge sensor's `use_days`) beside similar homes'. */
function compareUse(useDays, similar) {
  const values = Object.values(useDays || {}).filter((kwh) => typeof kwh === "number" && Number.isFinite(kwh));
  if (!values.length || values.length < MIN_DAYS) return null;
  const perDay = values.reduce((sum, kwh) => sum + kwh, 0) / values.length;
  const similarPerDay = similar.kwh_per_year / DAYS_A_YEAR;
  const ratio = perDay / similarPerDay;
  const verdict = ratio < BETTER_BELOW ? "better" : ratio <= ABOUT_UP_TO ? "about" : "above";
  return {
    days: values.length,
    kwh_per_day: perDay,
    similar_kwh_per_day: similarPerDay,
    ratio,
    verdict,
    percent: Math.round(Math.abs(1 - ratio) * 100),
  };
}

/** A smiley drawn, not typed: no emoji font needed, and the theme's colour. */
function smiley(label) {
  return `<svg class="smiley" viewBox="0 0 24 24" role="img" aria-label="${escape(label)}"><circle cx="12" cy="12" r="10.5"></circle><circle class="eye" cx="8.5" cy="9.5" r="1.4"></circle><circle class="eye" cx="15.5" cy="9.5" r="1.4"></circle><path d="M7 14.2 Q12 19 17 14.2"></path></svg>`;
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
  .next { border: 2px solid var(--warning-color, #b26a00); border-radius: 8px; padding: 10px 12px; }
  .next.opted-out { border-color: var(--divider-color, #ccc); }
  .next .when { font-weight: 500; }
  .plan { margin: 6px 0; padding-left: 20px; }
  .plan li { margin: 2px 0; }
  .row { display: flex; align-items: center; justify-content: space-between; gap: 8px; flex-wrap: wrap; margin-top: 8px; }
  button.opt { font: inherit; min-height: 36px; padding: 4px 16px; border-radius: 18px; cursor: pointer;
    border: 1px solid var(--primary-color); background: transparent; color: var(--primary-color); }
  button.opt:hover { background: var(--secondary-background-color, rgba(127, 127, 127, 0.12)); }
  button.opt:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 2px; }
  button.opt[disabled] { opacity: 0.5; cursor: default; }
  .error { color: var(--error-color, #db4437); }
  svg.history { height: 64px; }
  .history .saved { fill: var(--success-color, #2e7d32); }
  .history .none { fill: var(--secondary-text-color, #727272); opacity: 0.5; }
  .history .unmeasured { fill: none; stroke: var(--secondary-text-color, #727272); stroke-dasharray: 3 2; stroke-width: 1; vector-effect: non-scaling-stroke; }
  .axis { display: grid; text-align: center; font-size: 0.8em; white-space: nowrap; }
  .verdict { display: flex; align-items: center; gap: 8px; margin: 6px 0; font-weight: 500; }
  .verdict.better, .verdict.about { color: var(--success-color, #2e7d32); }
  svg.smiley { width: 28px; height: 28px; flex: none; }
  .smiley circle { fill: none; stroke: currentColor; stroke-width: 1.8; }
  .smiley circle.eye { fill: currentColor; stroke: none; }
  .smiley path { fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linecap: round; }
  .compare-bars { display: grid; grid-template-columns: auto 1fr auto; gap: 4px 8px; align-items: center; margin: 6px 0; }
  .compare-bars .track { height: 10px; border-radius: 5px; background: var(--divider-color, #ccc); overflow: hidden; }
  .compare-bars .fill { height: 100%; }
  .compare-bars .yours { background: var(--primary-color); }
  .compare-bars .similar { background: var(--secondary-text-color, #727272); }
  .num { white-space: nowrap; font-variant-numeric: tabular-nums; }
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
    this._busy = false;
    this._error = null;
    this._seen = null;
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = { show_cards: true, ...config };
    this._render(true);
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  getCardSize() {
    return (this._config.show_cards ? 8 : 5) + (this._config.household_size ? 3 : 0);
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  /** What the card shows depends on: drawn again only when one of these is a new object. */
  _inputs(states, next) {
    const hass = this._hass;
    const appliances = next ? plannedItems(next.attributes).map((item) => hass.states[item.entity_id]) : [];
    return [hass.entities, hass.locale, hass.language, hass.config, next, ...Object.values(states), ...appliances];
  }

  _render(force = false) {
    if (!this._hass) return;
    const hass = this._hass;
    const lang = language(hass);
    const t = STRINGS[lang];
    const states = savingsStates(hass);
    const next = nextEventState(hass);
    const inputs = this._inputs(states, next);
    if (!force && this._seen && this._seen.length === inputs.length && this._seen.every((x, i) => x === inputs[i])) {
      return; // another entity changed: nothing shown here did
    }
    const title = escape(this._config.title || t.title);
    const fmt = new Intl.NumberFormat(lang === "ja" ? "ja-JP" : "en");
    const decimal = new Intl.NumberFormat(lang === "ja" ? "ja-JP" : "en", { maximumFractionDigits: 1 });
    const wrap = (inner) =>
      `<style>${STYLE}</style><ha-card><div class="card">${inner}</div></ha-card>`;
    const upcoming = next ? this._next(next, t, lang, decimal) : "";
    if (!states.points) {
      const body = upcoming ? `<div class="body">${upcoming}</div>` : "";
      this.shadowRoot.innerHTML = wrap(`<h2>${title}</h2><p class="muted">${escape(t.missing)}</p>${body}`);
      this._wire(next);
      this._seen = inputs;
      return;
    }
    const points = number(states.points) ?? 0;
    const level = number(states.level) ?? 1;
    const progress = number(states.level_progress) ?? 0;
    const nextLevel = states.level ? states.level.attributes.next_level_points : null;
    const streak = number(states.streak) ?? 0;
    const best = states.streak ? states.streak.attributes.best_streak ?? streak : streak;
    const shields = number(states.shields) ?? 0;
    const head = `
      <div class="head"><h2>${title}</h2><span class="level">${escape(t.level)} ${level}</span></div>
      <div class="bar" role="progressbar" aria-valuenow="${progress}" aria-valuemin="0" aria-valuemax="100"><div style="width:${Math.min(100, Math.max(0, progress))}%"></div></div>
      <div class="muted">${fmt.format(points)} ${escape(t.points)}${
        nextLevel != null ? ` · ${escape(format(t.next_level, { points: fmt.format(nextLevel - points), level: level + 1 }))}` : ""
      }</div>`;
    const stats = `
      <section><div class="stats">
        <div class="stat"><span class="muted">${escape(t.streak)}</span><b>${streak}</b><span class="muted">${escape(format(t.best, { best }))}</span></div>
        <div class="stat"><span class="muted">${escape(t.shields)}</span><b>${shields}</b></div>
      </div></section>`;
    const body = [
      upcoming,
      stats,
      this._challenge(states.challenge, t),
      this._event(states, t, fmt),
      this._savings(states.last_event_saved, t, lang, decimal),
      this._comparison(states.challenge, t, decimal),
    ];
    if (this._config.show_cards) body.push(this._cards(states.cards, t));
    this.shadowRoot.innerHTML = wrap(`${head}<div class="body">${body.join("")}</div>`);
    this._wire(next);
    // Remembered only once drawn: a draw that threw (states still arriving) is tried again
    // with the next update instead of being skipped as "nothing changed".
    this._seen = inputs;
  }

  /** The opt-out (or opt-in) button calls Denki's action for the event shown. */
  _wire(next) {
    const button = this.shadowRoot.querySelector("button.opt");
    if (!button || !next) return;
    const eventId = next.attributes.event_id;
    const service = button.dataset.service;
    button.addEventListener("click", () => {
      if (this._busy) return;
      this._busy = true;
      this._error = null;
      this._render(true);
      Promise.resolve()
        .then(() => this._hass.callService("denki", service, { event_id: eventId }))
        .then(
          () => {
            this._busy = false;
            this._render(true);
          },
          (err) => {
            this._busy = false;
            this._error = (err && (err.message || err.code)) || String(err);
            this._render(true);
          },
        );
    });
  }

  _next(state, t, lang, decimal) {
    const hass = this._hass;
    const a = state.attributes;
    const start = new Date(a.start);
    const when = dateFormat(hass, lang, { weekday: "short", month: "numeric", day: "numeric", hour: "numeric", minute: "2-digit" }).format(start);
    const end = a.end ? Date.parse(a.end) : NaN;
    const timing = Number.isFinite(end)
      ? format(t.event_when, { when, duration: duration(end - start.getTime(), t) })
      : format(t.event_open, { when });
    const level = typeof a.level_max === "number" ? a.level_max : null;
    const details = [];
    if (level !== null) details.push(format(t.event_level, { level: decimal.format(level), name: t.level_names[level] || "" }).replace(/\s*[(（][)）]$/, ""));
    if (typeof a.import_limit_min === "number") details.push(format(t.import_limit, { kw: decimal.format(a.import_limit_min) }));
    const optedOut = a.opt === "opt_out";
    let plan;
    if (optedOut) {
      plan = `<p class="opted">${escape(t.opted_out)}</p>`;
    } else {
      const items = plannedItems(a);
      if (items.length) {
        plan = `<div class="muted">${escape(t.plan_title)}</div><ul class="plan">${items
          .map((item) => `<li data-entity="${escape(item.entity_id)}">${escape(plannedLine(item, hass, t, decimal))}</li>`)
          .join("")}</ul>`;
      } else {
        let meaning = t.level_meaning[level];
        if (!meaning && typeof a.import_limit_min === "number") meaning = format(t.limit_meaning, { kw: decimal.format(a.import_limit_min) });
        plan = `<p class="meaning">${escape(t.no_plan)} ${escape(meaning || t.generic_meaning)}</p>`;
      }
    }
    const service = optedOut ? "opt_in" : "opt_out";
    const label = optedOut ? t.opt_in : t.opt_out;
    const error = this._error ? `<div class="error" role="alert">${escape(format(t.opt_error, { error: this._error }))}</div>` : "";
    return `<section class="wide next${optedOut ? " opted-out" : ""}" data-event="${escape(a.event_id)}">
      <h3>${escape(t.next_event)}</h3>
      <div class="when">${escape(timing)}</div>
      ${details.length ? `<div class="muted">${escape(details.join(" · "))}</div>` : ""}
      ${plan}
      <div class="row"><span></span><button class="opt" type="button" data-service="${service}"${this._busy ? " disabled" : ""}>${escape(label)}</button></div>
      ${error}
    </section>`;
  }

  _savings(state, t, lang, decimal) {
    const a = (state && state.attributes) || {};
    const events = Array.isArray(a.events) ? a.events : [];
    if (!events.length) return "";
    const hass = this._hass;
    const day = dateFormat(hass, lang, { month: "numeric", day: "numeric" });
    const top = Math.max(...events.map((e) => (e.participated && typeof e.saved_kwh === "number" ? e.saved_kwh : 0)), 0.001);
    const width = 100 / events.length;
    const w = Math.min(width * 0.6, 8);
    const labels = [];
    const dates = [];
    const bars = events
      .map((e, i) => {
        const date = day.format(new Date(e.start));
        const x = i * width + (width - w) / 2;
        let label;
        let bar;
        if (!e.participated) {
          label = format(t.chart_opted_out, { date });
          bar = `<rect class="none" x="${x}" y="57" width="${w}" height="3">`;
        } else if (typeof e.saved_kwh !== "number") {
          label = format(t.chart_unmeasured, { date });
          bar = `<rect class="unmeasured" x="${x}" y="50" width="${w}" height="10">`;
        } else {
          label = format(t.chart_saved, { date, kwh: decimal.format(e.saved_kwh) });
          const h = Math.max(1, (e.saved_kwh / top) * 58);
          bar = `<rect class="saved" x="${x}" y="${60 - h}" width="${w}" height="${h}">`;
        }
        labels.push(label);
        dates.push(date);
        return `${bar}<title>${escape(label)}</title></rect>`;
      })
      .join("");
    const summary = `${t.events_chart}: ${labels.join(", ")}`;
    const chart = `<svg class="history" viewBox="0 0 100 60" preserveAspectRatio="none" role="img" aria-label="${escape(summary)}">${bars}</svg>`;
    // Each date under its bar: all of them when few, else the first and the last.
    const axis = dates
      .map((date, i) => `<span>${events.length <= 6 || i === 0 || i === dates.length - 1 ? escape(date) : ""}</span>`)
      .join("");
    const month = format(t.month_saved, {
      kwh: decimal.format(Number(a.month_saved_kwh) || 0),
      yen: new Intl.NumberFormat(lang === "ja" ? "ja-JP" : "en").format(Math.round(Number(a.month_saved_yen) || 0)),
    });
    const total = typeof a.total_saved_kwh === "number" ? `<div class="muted">${escape(format(t.total_saved, { kwh: decimal.format(a.total_saved_kwh) }))}</div>` : "";
    return `<section class="savings"><h3>${escape(t.savings_title)}</h3><div class="month">${escape(month)}</div>${total}
      <div class="muted">${escape(t.events_chart)}</div>${chart}
      <div class="muted axis" aria-hidden="true" style="grid-template-columns: repeat(${events.length}, 1fr)">${axis}</div></section>`;
  }

  _comparison(state, t, decimal) {
    const size = Number(this._config.household_size);
    if (!Number.isFinite(size) || size < 1) return "";
    const section = (inner) => `<section class="compare"><h3>${escape(t.compare_title)}</h3>${inner}</section>`;
    const load = loadHouseholdUse(() => this._render(true));
    if (load.status === "loading") return section("");
    if (load.status === "error" || !load.data) return section(`<p class="muted">${escape(t.compare_unavailable)}</p>`);
    const region = REGIONS.includes(this._config.region) ? this._config.region : null;
    let similar;
    try {
      similar = similarHomes(load.data, size, region);
    } catch (err) {
      return section(`<p class="muted">${escape(t.compare_unavailable)}</p>`);
    }
    const use = state && state.attributes ? state.attributes.use_days : null;
    const result = compareUse(use, similar);
    if (!result) return section(`<p class="muted">${escape(format(t.compare_wait, { days: MIN_DAYS }))}</p>`);
    const who = format(t.compare_who, {
      people: t.people[similar.size],
      region: similar.region ? t.regions[similar.region] : t.all_japan,
      days: result.days,
    });
    const top = Math.max(result.kwh_per_day, result.similar_kwh_per_day);
    const row = (label, kwh, kind) =>
      `<span>${escape(label)}</span><div class="track"><div class="fill ${kind}" style="width:${((kwh / top) * 100).toFixed(1)}%"></div></div><span class="num" data-kind="${kind}">${escape(format(t.per_day, { kwh: decimal.format(kwh) }))}</span>`;
    const good = result.verdict !== "above";
    const verdict = `<div class="verdict ${result.verdict}">${good ? smiley(t.well_done) : ""}${
      result.verdict === "better" ? smiley(t.well_done) : ""
    }<span>${escape(format(t.verdict[result.verdict], { percent: result.percent }))}</span></div>`;
    const fallback = region && !similar.region ? `<div class="muted">${escape(format(t.region_national, { region: t.regions[region] }))}</div>` : "";
    const bars = `<div class="compare-bars" role="img" aria-label="${escape(
      `${t.compare_yours} ${format(t.per_day, { kwh: decimal.format(result.kwh_per_day) })}, ${t.compare_similar} ${format(t.per_day, { kwh: decimal.format(result.similar_kwh_per_day) })}`,
    )}">${row(t.compare_yours, result.kwh_per_day, "yours")}${row(t.compare_similar, result.similar_kwh_per_day, "similar")}</div>`;
    // The national figure's year, and the regional figures' year when a region's figure is used.
    const year = load.data.national.fiscal_year;
    const regionYear = load.data.regional_base.fiscal_year;
    const years =
      similar.region && regionYear !== year
        ? format(t.fiscal_years, { first: Math.min(year, regionYear), second: Math.max(year, regionYear) })
        : format(t.fiscal_year, { year });
    const source = format(t.compare_source, { years });
    return section(`<div class="muted">${escape(who)}</div>${verdict}${bars}${fallback}<div class="muted source">${escape(source)}</div>`);
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
    const size = Number(this._config.household_size) || 0;
    const region = this._config.region || "";
    const option = (value, label, selected) =>
      `<option value="${escape(value)}"${selected ? " selected" : ""}>${escape(label)}</option>`;
    const sizes = [option("", t.editor_unset, !size)]
      .concat([1, 2, 3, 4, 5, 6].map((n) => option(String(n), t.people[n], size === n)))
      .join("");
    const regions = [option("", t.editor_unset, !region)]
      .concat(REGIONS.map((key) => option(key, t.regions[key], region === key)))
      .join("");
    this.shadowRoot.innerHTML = `
      <style>label { display: block; margin: 8px 0; color: var(--primary-text-color); } input[type=text], select { width: 100%; box-sizing: border-box; }</style>
      <label>${escape(t.editor_title)}<input type="text" name="title" value="${escape(this._config.title || "")}" placeholder="${escape(t.title)}"></label>
      <label><input type="checkbox" name="show_cards" ${this._config.show_cards === false ? "" : "checked"}> ${escape(t.editor_show_cards)}</label>
      <label>${escape(t.editor_household_size)}<select name="household_size">${sizes}</select></label>
      <label>${escape(t.editor_region)}<select name="region">${regions}</select></label>`;
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
    this.shadowRoot.querySelector("select[name=household_size]").addEventListener("change", (ev) => {
      const config = { ...this._config };
      if (ev.target.value) config.household_size = Number(ev.target.value);
      else delete config.household_size;
      this._changed(config);
    });
    this.shadowRoot.querySelector("select[name=region]").addEventListener("change", (ev) => {
      const config = { ...this._config };
      if (ev.target.value) config.region = ev.target.value;
      else delete config.region;
      this._changed(config);
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
    description: "Savings, weekly challenge, streak, level, cards, the next event and similar homes (Denki).",
    preview: true,
    documentationURL: "https://github.com/denki-energy/denki#savings",
  });
  console.info(`denki-savings-card ${VERSION}`);
}
