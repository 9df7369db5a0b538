// Interface texts: Simplified Chinese by default, English on request (stored in localStorage).
// The words come from the platform's one message catalogue (src/minyi/locale/<locale>/LC_MESSAGES/minyi.po),
// compiled by `make messages` to /i18n/<lang>.json: the clients' own strings (web.*) and the glossary
// (term.*: statuses, roles, categories and the four rating dimensions, named once for server and web).
// Both languages load before the first render (this module's top-level await), so the switch is instant.
const LANGS = ['zh', 'en'];

async function load(code) {
  try {
    const resp = await fetch(`/i18n/${code}.json`);
    return resp.ok ? await resp.json() : {};
  } catch {
    return {};  // offline before the service worker cached it: the keys show, the page still works
  }
}

const MESSAGES = Object.fromEntries(await Promise.all(LANGS.map(async (code) => [code, await load(code)])));

export function lang() {
  const stored = localStorage.getItem('minyi.lang');
  return stored === 'en' ? 'en' : 'zh';
}

export function setLang(value) {
  localStorage.setItem('minyi.lang', value);
  document.documentElement.lang = value === 'en' ? 'en' : 'zh-CN';
}

/** The catalogue's text for a full key (`web.…`, `term.…`), Chinese when the language lacks it. */
function message(key) {
  return MESSAGES[lang()][key] ?? MESSAGES.zh[key];
}

/** The clients' own strings: `t('sign_in')` reads `web.sign_in`. */
export function t(key) {
  return message(`web.${key}`) ?? key;
}

/** `Complaint (5 working days)` / `投诉（5个工作日）`: a category with its handling time. */
export function categoryWithDays(label, days) {
  return t(days === 1 ? 'category_day' : 'category_days').replace('{label}', label).replace('{n}', days);
}

const term = (kind, code) => message(`term.${kind}.${code}`) ?? code;
export const eventLabel = (e) => message(`web.event.${e}`) ?? e;
export const actorLabel = (r) => term('role', r);
export const roleLabel = (r) => term('role', r);
export const statusLabel = (s) => term('status', s);
export const categoryLabel = (c) => term('category', c);
/** One of the four rating dimensions (speed, effectiveness, experience, feedback_quality). */
export const dimensionLabel = (d) => term('dimension', d);

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(d);
}
