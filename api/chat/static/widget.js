/* Family Guide Assistant: the chat widget for school websites (the web-chat door).
 *
 * Embed: <script src="https://<host>/widget.js" data-school="<school code>" data-lang="es" defer></script>
 *
 * Plain JavaScript, no dependency, no build step. Everything is drawn inside an open Shadow
 * DOM (open so that axe-core, Playwright and assistive tools can see in; a closed root would
 * not protect anything from a host page, which can patch attachShadow before we run). The
 * styles are a <link> to widget.css on the api, so a host's strict CSP needs only the api's
 * origin in script-src, style-src and connect-src: no eval, no inline script or style.
 * Every sentence comes from GET /api/chat/strings; every text from the api is put in the page
 * with textContent, never as HTML. One global: window.FamilyGuideChat {open, close, toggle}.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.FamilyGuideChat) return;

  const LANGUAGES = ["en", "es"];
  const SEND_TIMEOUT_MS = 30000; // the api answers within its reply budget (8 s) or says pending
  const POLL_TIMEOUT_MS = 40000; // the api holds a poll for up to 25 s
  const SVG = "http://www.w3.org/2000/svg";
  const widgetUrl = new URL(script.src, document.baseURI);
  const apiUrl = (path) => new URL(path, widgetUrl).href;
  const storageKey = "familyGuideChat:" + widgetUrl.origin;
  const supported = (value) => {
    const code = String(value || "").trim().toLowerCase().split(/[-_]/)[0];
    return LANGUAGES.includes(code) ? code : null;
  };
  const otherLanguage = (lang) => LANGUAGES[(LANGUAGES.indexOf(lang) + 1) % LANGUAGES.length];
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const state = {
    lang: supported(script.dataset.lang) || supported(document.documentElement.lang) || "en",
    school: (script.dataset.school || "").trim(),
    session: stored(storageKey),
    strings: {},
    lastId: 0,
    seen: new Set(),
    titles: new Map(), // a button's payload -> its title: a tapped button shows what it said
    queue: [], // parent messages not yet answered, oldest first
    sending: false,
    blocked: false, // a failed send waits for Retry (or for retry_after)
    waiting: false, // the api said pending: the answer comes by poll
    open: false,
    polling: false,
    pollAbort: null,
    greeted: false,
    restored: false,
  };

  // --- storage (absent or refused in some private modes: then nothing is remembered) ---
  function stored(key, area = "localStorage") {
    try { return window[area].getItem(key); } catch { return null; }
  }
  function store(key, value, area = "localStorage") {
    try {
      if (value) window[area].setItem(key, value); else window[area].removeItem(key);
    } catch { /* not remembered */ }
  }
  function setSession(id) {
    state.session = id || null;
    store(storageKey, state.session);
  }

  // --- small DOM helpers: attributes as strings, children as nodes or text -----------------
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined && value !== false) el.setAttribute(name, value === true ? "" : value);
    }
    el.append(...children);
    return el;
  }
  function icon(path) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const shape = document.createElementNS(SVG, "path");
    shape.setAttribute("d", path);
    svg.append(shape);
    return svg;
  }
  const S = (key) => state.strings[key] || "";

  // --- the interface ---------------------------------------------------------------------
  const host = document.createElement("family-guide-chat");
  const root = host.attachShadow({ mode: "open" });
  const frame = h("div", { class: "fgc", hidden: true });
  const cssReady = new Promise((resolve) => {
    const sheet = h("link", { rel: "stylesheet", href: apiUrl("widget.css") });
    sheet.addEventListener("load", resolve);
    sheet.addEventListener("error", resolve); // unstyled but usable beats invisible
    root.append(sheet);
  });
  const launcherText = h("span");
  const launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "fgc-panel" },
    icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"), launcherText);
  const title = h("h2", { id: "fgc-title" });
  const closeButton = h("button", { type: "button", class: "close" }, icon("M6 6l12 12M18 6L6 18"));
  const languageButton = h("button", { type: "button", class: "tool" });
  const handoffButton = h("button", { type: "button", class: "tool" });
  const privacy = h("p", { class: "privacy" });
  const transcript = h("ol", { class: "transcript" });
  const typing = h("div", { class: "typing", hidden: true, "aria-hidden": "true" }, h("span"), h("span"), h("span"));
  const scroller = h("div", { class: "scroll" }, privacy, transcript, typing);
  const errorText = h("p", { class: "error-text" });
  const retryButton = h("button", { type: "button", class: "retry" });
  const errorBox = h("div", { class: "error", hidden: true }, errorText, retryButton);
  const replies = h("div", { class: "replies", role: "group", hidden: true });
  const inputLabel = h("label", { for: "fgc-input", class: "sr-only" });
  const input = h("input", { id: "fgc-input", type: "text", dir: "auto", autocomplete: "off", enterkeyhint: "send" });
  const sendButton = h("button", { type: "button", class: "send" });
  const polite = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });
  const assertive = h("div", { class: "sr-only", "aria-live": "assertive" });
  const panel = h("div", { id: "fgc-panel", class: "panel", role: "dialog", "aria-labelledby": "fgc-title", hidden: true },
    h("div", { class: "head" }, title, closeButton),
    h("div", { class: "tools" }, languageButton, handoffButton),
    scroller, errorBox, replies,
    h("div", { class: "composer" }, inputLabel, input, sendButton),
    polite, assertive);
  frame.append(panel, launcher);
  root.append(frame);

  function applyStrings() {
    frame.setAttribute("lang", state.lang);
    frame.setAttribute("dir", "ltr"); // English and Spanish, whatever the host page's direction
    launcherText.textContent = S("launcher");
    title.textContent = S("title");
    closeButton.setAttribute("aria-label", S("close"));
    handoffButton.textContent = S("handoff");
    privacy.textContent = S("privacy");
    transcript.setAttribute("aria-label", S("transcript"));
    replies.setAttribute("aria-label", S("quick_replies"));
    inputLabel.textContent = S("input_label");
    input.placeholder = S("placeholder");
    sendButton.textContent = S("send");
    retryButton.textContent = S("retry");
    for (const label of transcript.querySelectorAll("[data-who]")) label.textContent = S(label.dataset.who) + ": ";
    for (const note of transcript.querySelectorAll("[data-note]")) note.textContent = S(note.dataset.note);
  }

  // --- talking to the api ----------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || "");
      this.status = status; // 0: no answer (network, timeout)
      this.code = (body && body.error && body.error.code) || "";
      this.retryAfter = Number(body && body.retry_after) || 0;
    }
  }
  async function post(path, body, timeoutMs, abort) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    if (abort) abort.signal.addEventListener("abort", () => controller.abort(), { once: true });
    let response;
    try {
      // A GET is the strings, which the api lets browsers keep for an hour: not asked again per page.
      response = await fetch(apiUrl(path), {
        method: body ? "POST" : "GET", credentials: "omit", cache: body ? "no-store" : "default", signal: controller.signal,
        headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined,
      });
      const data = await response.json().catch(() => null);
      if (!response.ok || !data) throw new ApiError(data ? response.status : 0, data);
      return data;
    } catch (error) {
      throw error instanceof ApiError ? error : new ApiError(0, null);
    } finally {
      clearTimeout(timer);
    }
  }
  const retryable = (error) => error.status === 0 || error.status >= 500;
  const sessionGone = (error) => error.code === "unknown_session" || error.code === "expired_session";

  const stringsCache = {};
  function loadStrings(lang) {
    stringsCache[lang] = stringsCache[lang] || post("api/chat/strings?lang=" + lang, null, SEND_TIMEOUT_MS)
      .then((data) => data.strings || {})
      .catch((error) => { delete stringsCache[lang]; throw error; });
    return stringsCache[lang];
  }
  /* The interface in `lang`; the language button says the other language's name in it. */
  async function useStrings(lang) {
    const other = otherLanguage(lang);
    const [strings, otherStrings] = await Promise.all([loadStrings(lang), loadStrings(other).catch(() => ({}))]);
    state.strings = strings;
    state.lang = lang;
    languageButton.textContent = otherStrings.language_name || other.toUpperCase();
    languageButton.setAttribute("lang", other);
    applyStrings();
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /* A parent message: shown at once (as pending), sent in order, kept until the api has it.
     A retry sends the same message_id, so the api makes the turn once. */
  function say(text, shown = text) {
    if (shown !== text) state.titles.set(text, shown);
    const item = { id: uuid(), text, lang: state.lang, bubble: text ? pendingBubble(shown) : null };
    state.queue.push(item);
    pump();
  }

  async function pump() {
    if (state.sending || state.blocked || !state.queue.length) return;
    const item = state.queue[0];
    state.sending = true;
    showTyping(true);
    try {
      const body = { message: item.text, language: item.lang, message_id: item.id };
      if (state.session) body.session_id = state.session;
      else if (state.school) body.school = state.school;
      const data = await post("api/chat", body, SEND_TIMEOUT_MS);
      state.queue.shift();
      if (data.session_id && data.session_id !== state.session) setSession(data.session_id);
      state.waiting = Boolean(data.pending);
      const messages = data.messages || [];
      receive(messages, item);
      if (item.bubble) { // the api stored other words (cleaned): its echo is what counts
        if (messages.some((m) => m && m.from === "parent")) item.bubble.remove();
        else item.bubble.classList.remove("pending");
      }
      if (!state.waiting) showTyping(false);
      startPolling();
    } catch (error) {
      failed(error, item);
    } finally {
      state.sending = false;
    }
    pump();
  }

  function failed(error, item) {
    showTyping(false);
    if (item.echoed && retryable(error)) {
      arrived(); // its answer comes (or came) through the poll
      return;
    }
    if (sessionGone(error) && state.session) {
      restartSession();
      return; // the same message goes again, in the new session
    }
    if (error.status === 429) {
      block(error.message || S("rate_limited"), false);
      setTimeout(unblock, Math.max(1, error.retryAfter) * 1000);
    } else if (retryable(error)) {
      if (item.bubble) item.bubble.classList.add("unsent");
      block(S("network_error"), true);
    } else { // refused for good (too long, bad request, origin): said plainly, the words kept
      state.queue.shift();
      if (item.bubble) item.bubble.remove();
      if (item.text && !input.value && !item.text.startsWith("/")) input.value = item.text;
      delete replies.dataset.used;
      showError(error.message || S("error"), false);
    }
  }
  /* The api has a message whose answer was lost on the way (the poll showed it): done. */
  function arrived() {
    state.queue.shift();
    if (state.blocked) {
      state.blocked = false;
      hideError();
    }
    setTimeout(pump, 0);
  }
  function block(message, withRetry) {
    state.blocked = true;
    showError(message, withRetry);
  }
  function unblock() {
    state.blocked = false;
    hideError();
    for (const item of state.queue) if (item.bubble) item.bubble.classList.remove("unsent");
    pump();
  }
  function showError(message, withRetry) {
    errorText.textContent = message;
    retryButton.hidden = !withRetry;
    errorBox.hidden = false;
    announce(assertive, message);
  }
  function hideError() {
    errorBox.hidden = true;
  }

  function restartSession() {
    setSession(null);
    state.lastId = 0;
    state.seen.clear();
    state.waiting = false;
    transcript.replaceChildren();
    renderReplies([]);
    const note = h("li", { class: "note", tabindex: "-1", "data-note": "session_restarted" }, S("session_restarted"));
    transcript.append(note);
    for (const item of state.queue) if (item.bubble) transcript.append(item.bubble);
    announce(polite, S("session_restarted"));
    rove(note);
    state.greeted = false;
    if (state.queue.length) pump();
    else if (state.open) greet(); // else when the panel opens
  }

  // --- later messages: long polling while the panel is open --------------------------------
  async function startPolling() {
    if (state.polling || !state.open || !state.session) return;
    state.polling = true;
    let backoff = 0;
    while (state.open && state.session) {
      const abort = new AbortController();
      state.pollAbort = abort;
      const started = Date.now();
      try {
        const data = await post("api/chat/poll", { session_id: state.session, after: state.lastId }, POLL_TIMEOUT_MS, abort);
        backoff = 0;
        const fresh = receive(data.messages || [], state.queue[0]);
        if (fresh.some((m) => m.from !== "parent")) { state.waiting = false; if (!state.sending) showTyping(false); }
        if (Date.now() - started < 1000 && !fresh.length) await sleep(1000); // never a tight loop
      } catch (error) {
        if (!state.open) break;
        if (sessionGone(error)) { restartSession(); break; }
        backoff = error.retryAfter ? error.retryAfter * 1000 : Math.min(30000, (backoff || 1000) * 2);
        await sleep(backoff);
      }
    }
    state.polling = false;
    state.pollAbort = null;
  }
  function stopPolling() {
    if (state.pollAbort) state.pollAbort.abort();
  }

  // --- the transcript --------------------------------------------------------------------
  /* New messages from an answer or a poll: each id once, the parent's first, a crisis answer
     before the rest; announced without moving focus. Returns the ones that were new. */
  function receive(messages, pending, announceThem = true) {
    const rank = (m) => (m.from === "parent" ? 0 : m.kind === "crisis" ? 1 : 2);
    const fresh = messages.filter((m) => m && Number.isInteger(m.id) && !state.seen.has(m.id));
    if (announceThem) fresh.sort((a, b) => rank(a) - rank(b) || a.id - b.id);
    let firstBot = null;
    let lastBot = null;
    for (const message of fresh) {
      state.seen.add(message.id);
      state.lastId = Math.max(state.lastId, message.id);
      const text = typeof message.text === "string" ? message.text : "";
      if (message.from === "parent") {
        if (!text) continue; // the wordless start of a session
        const li = renderMessage(message);
        const mine = pending && !pending.echoed && pending.text === text;
        if (mine && pending.bubble) pending.bubble.replaceWith(li);
        else transcript.insertBefore(li, firstPendingBubble());
        if (mine) {
          pending.bubble = null;
          pending.echoed = true;
          if (!state.sending && state.queue[0] === pending) arrived();
        }
        continue;
      }
      for (const button of message.buttons || []) if (button && button.payload) state.titles.set(button.payload, button.title);
      const li = renderMessage(message);
      transcript.insertBefore(li, firstPendingBubble());
      firstBot = firstBot || li;
      lastBot = message;
      if (announceThem) announce(message.kind === "crisis" ? assertive : polite, text);
    }
    if (lastBot) {
      renderReplies(lastBot.buttons || []);
      rove(firstBot, false);
      scrollTo(firstBot);
    }
    return fresh;
  }
  function firstPendingBubble() {
    return transcript.querySelector(".msg.pending");
  }

  function renderMessage(message) {
    const who = message.from === "parent" ? "you" : message.from === "staff" ? "staff" : "assistant";
    const crisis = message.kind === "crisis" && message.from !== "parent";
    const li = h("li", { class: `msg ${who}${crisis ? " crisis" : ""}`, tabindex: "-1", lang: supported(message.language) },
      h("span", { class: "sr-only", "data-who": who }, S(who) + ": "));
    let text = typeof message.text === "string" ? message.text : "";
    if (message.from === "parent") text = state.titles.get(text) || text;
    const plan = message.kind === "plan" && message.plan && Array.isArray(message.plan.questions) ? message.plan : null;
    li.append(plan ? planCard(plan) : bubble(text, crisis));
    if (plan) li.classList.add("has-plan");
    return li;
  }
  function pendingBubble(shown) {
    const li = h("li", { class: "msg you pending", tabindex: "-1" },
      h("span", { class: "sr-only", "data-who": "you" }, S("you") + ": "), bubble(shown, false),
      h("span", { class: "status", "data-note": "not_sent" }, S("not_sent")));
    transcript.append(li);
    scrollTo(li);
    return li;
  }
  /* Text as text; in a crisis answer, 988 and 911 become links a phone can call. */
  function bubble(text, linkNumbers) {
    const p = h("p", { class: "text", dir: "auto" });
    if (!linkNumbers) {
      p.textContent = text;
      return p;
    }
    String(text).split(/\b(988|911)\b/).forEach((part, index) => {
      p.append(index % 2 ? h("a", { href: "tel:" + part, class: "tel" }, part) : part);
    });
    return p;
  }
  function planCard(plan) {
    const questions = h("ol", { class: "questions" });
    plan.questions.forEach((question, index) => {
      if (!question || typeof question.text !== "string") return;
      const item = h("li", { value: Number.isInteger(question.number) ? question.number : index + 1 },
        h("span", { dir: "auto" }, question.text));
      if (question.source) item.append(h("span", { class: "source", dir: "auto" }, String(question.source)));
      questions.append(item);
    });
    const topic = [plan.priority_name, plan.pillar_name].filter((part) => typeof part === "string" && part).join(" · ");
    const card = h("div", { class: "plan" }, h("h3", {}, S("plan_title")));
    if (topic) card.append(h("p", { class: "topic", dir: "auto" }, topic));
    card.append(questions);
    const link = webLink(plan.link);
    if (link) {
      card.append(h("a", { href: link, target: "_blank", rel: "noopener noreferrer", class: "print" },
        S("print_plan"), h("span", { class: "sr-only" }, " " + S("new_tab"))));
    }
    return card;
  }
  function webLink(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  /* Quick replies for the newest menu. Focus that was on the old ones goes to the new first one. */
  function renderReplies(buttons) {
    const hadFocus = replies.contains(root.activeElement);
    const fresh = buttons.filter((b) => b && typeof b.payload === "string" && b.payload).map((b) => {
      const shown = typeof b.title === "string" && b.title ? b.title : b.payload;
      const button = h("button", { type: "button", class: "reply", dir: "auto" }, shown);
      button.addEventListener("click", () => {
        if (replies.dataset.used) return; // one tap, one message
        replies.dataset.used = "1";
        say(b.payload, shown);
      });
      return button;
    });
    replies.replaceChildren(...fresh);
    delete replies.dataset.used;
    replies.hidden = !fresh.length;
    if (hadFocus) (replies.firstElementChild || input).focus();
  }

  /* The transcript is one Tab stop; arrow keys, Home and End go message by message. */
  function rove(li, focus = false) {
    if (!li) return;
    if (!focus && transcript.contains(root.activeElement)) return; // never pull a reader away
    for (const item of transcript.children) item.tabIndex = -1;
    li.tabIndex = 0;
    if (focus) li.focus();
  }
  transcript.addEventListener("keydown", (event) => {
    const items = Array.from(transcript.children);
    const index = items.indexOf(event.target);
    if (index < 0) return;
    const next = { ArrowUp: index - 1, ArrowDown: index + 1, Home: 0, End: items.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    rove(items[Math.max(0, Math.min(next, items.length - 1))], true);
  });
  transcript.addEventListener("focusin", (event) => {
    if (event.target.parentElement === transcript) rove(event.target, true);
  });

  function scrollTo(li) {
    const top = li.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
    scroller.scrollTop = Math.max(0, top - 8);
  }
  function announce(region, text) {
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50); // a new node, so the same words are read again
  }
  function showTyping(on) {
    const show = on || state.waiting;
    if (show && typing.hidden) announce(polite, S("typing"));
    typing.hidden = !show;
    if (show) scroller.scrollTop = scroller.scrollHeight;
  }

  // --- opening, closing, starting -----------------------------------------------------------
  function openPanel(moveFocus = true) {
    if (state.open) return;
    state.open = true;
    panel.hidden = false;
    frame.classList.add("is-open");
    launcher.setAttribute("aria-expanded", "true");
    store(storageKey + ":open", "1", "sessionStorage");
    if (moveFocus) input.focus();
    const last = transcript.lastElementChild;
    if (last) scroller.scrollTop = scroller.scrollHeight;
    if (state.session && !state.restored) restore().then(startPolling);
    else if (!state.session) greet();
    else startPolling();
  }
  function closePanel() {
    if (!state.open) return;
    state.open = false;
    panel.hidden = true;
    frame.classList.remove("is-open");
    launcher.setAttribute("aria-expanded", "false");
    store(storageKey + ":open", null, "sessionStorage");
    stopPolling();
    launcher.focus();
  }
  /* A new session starts with no words: the bot greets, in the page's language, for its school. */
  function greet() {
    if (state.greeted) return;
    state.greeted = true;
    say("");
  }
  /* The conversation so far (a reload, another page of the school's site). */
  async function restore() {
    try {
      const data = await post("api/chat/history", { session_id: state.session }, SEND_TIMEOUT_MS);
      state.restored = true;
      const lang = supported(data.language);
      if (lang && lang !== state.lang) await useStrings(lang);
      receive(data.messages || [], null, false);
      scroller.scrollTop = scroller.scrollHeight;
    } catch (error) {
      if (sessionGone(error)) {
        state.restored = true;
        restartSession();
      }
    }
  }

  /* On a phone (or at 200% zoom) the panel covers the whole page: there it is modal, and Tab
     goes round inside it instead of into the page hidden behind. Beside a page, it is not. */
  const fullScreen = window.matchMedia("(max-width: 30em), (max-height: 36em)");
  function syncModal() {
    if (fullScreen.matches) panel.setAttribute("aria-modal", "true");
    else panel.removeAttribute("aria-modal");
  }
  fullScreen.addEventListener("change", syncModal);
  syncModal();
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Tab" || !fullScreen.matches) return;
    const stops = Array.from(panel.querySelectorAll("button, input, a[href], [tabindex='0']"))
      .filter((el) => el.getClientRects().length && !el.closest("[hidden]"));
    const edge = event.shiftKey ? stops[0] : stops[stops.length - 1];
    if (root.activeElement === edge) {
      event.preventDefault();
      (event.shiftKey ? stops[stops.length - 1] : stops[0]).focus();
    }
  });

  launcher.addEventListener("click", () => (state.open ? closePanel() : openPanel()));
  closeButton.addEventListener("click", closePanel);
  frame.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.open) {
      event.stopPropagation();
      closePanel();
    }
  });
  function sendTyped() {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (!state.blocked) hideError(); // a message waiting for Retry keeps its error and button
    say(text);
  }
  sendButton.addEventListener("click", sendTyped);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      sendTyped();
    }
  });
  retryButton.addEventListener("click", () => {
    input.focus();
    unblock();
  });
  handoffButton.addEventListener("click", () => say(S("handoff_message")));
  /* The other language: its interface strings at once, and the conversation with the next
     request, which carries the new language (a wordless one now: the bot says it switched). */
  languageButton.addEventListener("click", async () => {
    try {
      await useStrings(otherLanguage(state.lang));
    } catch {
      showError(S("network_error"), false);
      return;
    }
    if (state.session || state.greeted) say("");
    else greet();
  });

  async function start() {
    (document.body || document.documentElement).append(host);
    if (state.session) await restore();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await useStrings(state.lang);
        break;
      } catch {
        if (attempt >= 4) return; // the api is away: no widget rather than an empty one
        await sleep(2000 * 2 ** attempt);
      }
    }
    await cssReady;
    frame.hidden = false;
    if (stored(storageKey + ":open", "sessionStorage")) openPanel(false);
  }

  window.FamilyGuideChat = Object.freeze({
    open: () => openPanel(),
    close: () => closePanel(),
    toggle: () => (state.open ? closePanel() : openPanel()),
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
  else start();
})();
