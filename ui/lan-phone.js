// A visitor's own phone (--phone-lan): the IB Key phone as a page on the visitor's
// phone, served by the app's phone listener. Activation (K1: user name, password,
// number, the SMS code, a PIN), login requests (K2: approve with the PIN; K6: deny)
// and the Authenticate screen (K3). Keys stay in the app; this page asks /phone/api/*
// with the cookie set at pairing. No Tauri here: it has its own English and French,
// the app's language at pairing time (`locale` in the status).
"use strict";

const TEXTS = {
  en: {
    "unpaired.heading": "Not paired",
    "unpaired.none": "This phone is not paired with Portcullis. Scan the QR code in the login window to pair it.",
    "unpaired.ended": "This phone's pairing ended: the demo was reset for the next visitor. To try again, scan the new QR code in the login window.",
    "activate.heading": "Activate IB Key",
    "activate.text": "Paired with Portcullis. Activate IB Key to approve your logins on this phone.",
    "field.username": "User name",
    "field.password": "Password",
    "field.number": "Mobile number",
    "field.number_hint": "Digits only, no leading 0.",
    "activate.send": "Send activation code",
    "verify.heading": "Confirm it is you",
    "verify.challenge": "To confirm it is you, answer this challenge with your {device}.",
    "verify.sms": "To confirm it is you, a code was sent by SMS to your number on record, {number} ({device}). Type it below.",
    "verify.index_card": "To confirm it is you, type the codes under these two index numbers of your {device}, together, with no spaces.",
    "verify.index_card.shown": "{first} and {second}",
    "verify.temporary_passcode": "To confirm it is you, type your {device}. It is upper case and case-sensitive.",
    "verify.label.challenge": "Response",
    "verify.label.sms": "Code",
    "verify.label.index_card": "Codes",
    "verify.label.temporary_passcode": "Temporary passcode",
    "continue": "Continue",
    "cancel": "Cancel",
    "back": "Back",
    "code.heading": "Enter the code",
    "code.sent": "A code was sent by SMS to {number}. It is in your text messages below.",
    "code.label": "Activation code",
    "code.pin": "Choose a PIN (4–6 letters, digits or symbols)",
    "code.pin_hint": "You type this PIN to approve each login.",
    "code.finish": "Activate",
    "sms.list": "Text messages",
    "sms.none": "No text message yet.",
    "sms.use": "Use this code",
    "home.heading": "Login requests",
    "home.none": "No login requests. Log in on the desktop as this user: the request appears here.",
    "home.account": "IB Key is active for {username} ({device}).",
    "request.heading": "Login request",
    "request.for": "Login request for {username}",
    "request.text": "{username} is logging in to Portcullis on the desktop.",
    "request.expiry": "Expires at {time}. Answer before then.",
    "request.pick": "Pick the number shown on the desktop",
    "request.pick_first": "First pick the number the desktop shows.",
    "request.pin": "PIN",
    "request.approve": "Approve with PIN",
    "request.deny": "I'm not logging in",
    "auth.open": "Authenticate",
    "auth.challenge": "Challenge code",
    "auth.generate": "Generate Passcode",
    "notice.activated": "IB Key is active on this phone. Now log in on the desktop as this user.",
    "notice.approved": "Approved. Your login continues on the desktop.",
    "notice.denied": "Request denied.",
    "notice.gone": "That request is no longer waiting.",
    "error.listener_unreachable": "Portcullis cannot be reached from this phone. Check that the phone is on the same network as the demonstrator's computer.",
  },
  fr: {
    "unpaired.heading": "Non associé",
    "unpaired.none": "Ce téléphone n'est pas associé à Portcullis. Scannez le code QR affiché dans la fenêtre de connexion pour l'associer.",
    "unpaired.ended": "L'association de ce téléphone a pris fin : la démo a été réinitialisée pour le visiteur suivant. Pour recommencer, scannez le nouveau code QR dans la fenêtre de connexion.",
    "activate.heading": "Activer IB Key",
    "activate.text": "Associé à Portcullis. Activez IB Key pour approuver vos connexions sur ce téléphone.",
    "field.username": "Nom d'utilisateur",
    "field.password": "Mot de passe",
    "field.number": "Numéro de mobile",
    "field.number_hint": "Chiffres uniquement, sans 0 initial.",
    "activate.send": "Envoyer le code d'activation",
    "verify.heading": "Confirmez votre identité",
    "verify.challenge": "Pour confirmer votre identité, répondez à ce code de défi avec votre {device}.",
    "verify.sms": "Pour confirmer votre identité, un code a été envoyé par SMS à votre numéro enregistré, {number} ({device}). Saisissez-le ci-dessous.",
    "verify.index_card": "Pour confirmer votre identité, saisissez les codes sous ces deux numéros d'index de votre {device}, à la suite, sans espace.",
    "verify.index_card.shown": "{first} et {second}",
    "verify.temporary_passcode": "Pour confirmer votre identité, saisissez votre {device}. Il est en majuscules et sensible à la casse.",
    "verify.label.challenge": "Réponse",
    "verify.label.sms": "Code",
    "verify.label.index_card": "Codes",
    "verify.label.temporary_passcode": "Code de sécurité temporaire",
    "continue": "Continuer",
    "cancel": "Annuler",
    "back": "Retour",
    "code.heading": "Saisissez le code",
    "code.sent": "Un code a été envoyé par SMS au {number}. Il se trouve dans vos SMS ci-dessous.",
    "code.label": "Code d'activation",
    "code.pin": "Choisissez un code PIN (4 à 6 lettres, chiffres ou symboles)",
    "code.pin_hint": "Vous saisirez ce code PIN pour approuver chaque connexion.",
    "code.finish": "Activer",
    "sms.list": "SMS",
    "sms.none": "Aucun SMS pour l'instant.",
    "sms.use": "Utiliser ce code",
    "home.heading": "Demandes de connexion",
    "home.none": "Aucune demande de connexion. Connectez-vous sur l'ordinateur avec cet utilisateur : la demande apparaît ici.",
    "home.account": "IB Key est actif pour {username} ({device}).",
    "request.heading": "Demande de connexion",
    "request.for": "Demande de connexion pour {username}",
    "request.text": "{username} se connecte à Portcullis sur l'ordinateur.",
    "request.expiry": "Expire à {time}. Répondez avant.",
    "request.pick": "Choisissez le nombre affiché sur l'ordinateur",
    "request.pick_first": "Choisissez d'abord le nombre affiché sur l'ordinateur.",
    "request.pin": "Code PIN",
    "request.approve": "Approuver avec le code PIN",
    "request.deny": "Je ne me connecte pas",
    "auth.open": "Authentifier",
    "auth.challenge": "Code de défi",
    "auth.generate": "Générer le code",
    "notice.activated": "IB Key est actif sur ce téléphone. Connectez-vous maintenant sur l'ordinateur avec cet utilisateur.",
    "notice.approved": "Approuvée. Votre connexion se poursuit sur l'ordinateur.",
    "notice.denied": "Demande refusée.",
    "notice.gone": "Cette demande n'attend plus de réponse.",
    "error.listener_unreachable": "Portcullis est injoignable depuis ce téléphone. Vérifiez que le téléphone est sur le même réseau que l'ordinateur de démonstration.",
    // The broker's and the listener's codes (their English comes with the error).
    "error.not_paired": "Ce téléphone n'est pas associé à Portcullis, ou son association a pris fin. Scannez le code QR dans la fenêtre de connexion.",
    "error.invalid_credentials": "Combinaison nom d'utilisateur/mot de passe non valide",
    "error.invalid_phone_number": "Numéro de téléphone non valide : chiffres seulement, sans 0 initial, de 6 à 14 chiffres.",
    "error.invalid_pin": "Code PIN non valide : 4 à 6 lettres, chiffres ou symboles.",
    "error.invalid_code": "Code d'activation incorrect.",
    "error.activation_over": "L'activation a pris fin : le code a expiré ou a été saisi trois fois de façon incorrecte.",
    "error.already_added": "Cet utilisateur est déjà sur ce téléphone.",
    "error.locked": "Ce compte est verrouillé après trop de tentatives de connexion infructueuses. Le Service clientèle peut vous aider.",
    "error.no_pending_login": "Aucune connexion n'attend cette réponse.",
    "error.push_expired": "La notification a expiré sans réponse.",
    "error.push_already_answered": "Cette notification a déjà reçu une réponse.",
    "error.number_mismatch": "Un autre nombre a été choisi sur le téléphone.",
    "error.unsupported_media_type": "Cette demande n'est pas au format JSON.",
    "error.broker_unreachable": "Le serveur de connexion est injoignable. Réessayez dans un instant.",
    "error.broker_timeout": "Le serveur de connexion n'a pas répondu à temps. Réessayez dans un instant.",
    "error.phone": "Le téléphone a rencontré un problème.",
    "error.phone_not_set_up": "Activez d'abord IB Key sur ce téléphone.",
    "error.wrong_response": "Réponse incorrecte : l'activation a pris fin. Recommencez.",
  },
};

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const SCREENS = [
  "lan-phone-unpaired", "lan-phone-activate", "lan-phone-verify", "lan-phone-code",
  "lan-phone-home", "lan-phone-request", "lan-phone-authenticate",
];
const ACTIVATION = ["lan-phone-activate", "lan-phone-verify", "lan-phone-code"];

let locale = (navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en";
let everPaired = false;
let paired = false;
let phone = null; // the phone's status (configured, accounts, incoming)
let current = null;
let openRequest = null;
let picked = null;
const seenPushes = new Set();
let events = null;

// ---- language ----

function t(key, params = {}) {
  const text = TEXTS[locale][key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A text written from here, kept on its element so a change of language rewrites it.
function say(el, key, params = {}) {
  el.dataset.key = key;
  el.dataset.params = JSON.stringify(params);
  el.textContent = t(key, params);
}

function errorText(err) {
  const key = `error.${err.code}`;
  if (locale === "fr" && key in TEXTS.fr) return TEXTS.fr[key];
  if (key in TEXTS.en) return TEXTS.en[key];
  return err.message || err.code;
}

function applyLocale(next) {
  if (next !== "en" && next !== "fr") return;
  locale = next;
  document.documentElement.lang = locale;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", t(el.dataset.tLabel));
  for (const el of document.querySelectorAll("[data-key]")) el.textContent = t(el.dataset.key, JSON.parse(el.dataset.params || "{}"));
  const box = $("lan-phone-error");
  if (!box.hidden && box.dataset.code && !box.dataset.key) box.textContent = errorText({ code: box.dataset.code, message: box.dataset.message });
}

// ---- screens and messages ----

function show(screen, focus = null) {
  for (const s of SCREENS) $(s).hidden = s !== screen;
  $("lan-phone").dataset.state = screen.replace("lan-phone-", "");
  if (screen === current) return;
  current = screen;
  $("lan-phone-error").hidden = true;
  $("lan-phone-notice").hidden = true;
  (focus || $(screen).querySelector(".step-heading")).focus();
}

function showError(err) {
  const box = $("lan-phone-error");
  delete box.dataset.key;
  box.dataset.code = err.code;
  box.dataset.message = err.message || "";
  box.textContent = errorText(err);
  box.hidden = false;
  $("lan-phone-notice").hidden = true;
}

function notice(key) {
  const box = $("lan-phone-notice");
  box.dataset.code = key;
  say(box, key);
  box.hidden = false;
}

// ---- the listener's API ----

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/phone/api/${path}`, init);
  } catch (e) {
    throw { code: "listener_unreachable", message: TEXTS.en["error.listener_unreachable"] };
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const err = { code: data.code || "error", message: data.message || response.statusText, details: data.details };
    if (err.code === "not_paired") unpaired();
    throw err;
  }
  return data;
}

function unpaired() {
  paired = false;
  openRequest = null;
  if (events) {
    events.close();
    events = null;
  }
  const text = $("lan-phone-unpaired-text");
  text.dataset.reason = everPaired ? "ended" : "none";
  say(text, everPaired ? "unpaired.ended" : "unpaired.none");
  $("lan-phone-user").textContent = "";
  show("lan-phone-unpaired");
}

async function refresh() {
  let status;
  try {
    status = await api("GET", "status");
  } catch (err) {
    if (err.code !== "not_paired") showError(err);
    return;
  }
  if (!paired) {
    paired = true;
    everPaired = true;
    applyLocale(status.locale);
    listen();
  }
  phone = status.phone;
  render();
}

function render() {
  if (!phone.configured) {
    if (!ACTIVATION.includes(current)) show("lan-phone-activate", $("lan-phone-username"));
    return;
  }
  const account = phone.accounts[0];
  $("lan-phone-user").textContent = account ? account.username : "";
  if (account) say($("lan-phone-account"), "home.account", { username: account.username, device: account.device_id });
  renderRequests();
  if (openRequest && !phone.incoming.some((p) => p.push_id === openRequest.push_id)) {
    openRequest = null;
    show("lan-phone-home");
    notice("notice.gone");
  }
  if (ACTIVATION.includes(current) || current === "lan-phone-unpaired" || current === null) show("lan-phone-home");
  // A new request opens by itself, as tapping its notification would.
  const fresh = phone.incoming.find((p) => !seenPushes.has(p.push_id));
  for (const p of phone.incoming) seenPushes.add(p.push_id);
  if (fresh && current === "lan-phone-home") openPush(fresh.push_id);
}

function renderRequests() {
  const list = $("lan-phone-requests");
  list.textContent = "";
  for (const push of phone.incoming) {
    const li = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button";
    open.dataset.testid = "lan-phone-request-item";
    open.dataset.pushId = push.push_id;
    say(open, "request.for", { username: push.username });
    open.addEventListener("click", () => openPush(push.push_id));
    li.appendChild(open);
    list.appendChild(li);
  }
  $("lan-phone-no-requests").hidden = phone.incoming.length > 0;
}

function localTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(locale === "fr" ? "fr-FR" : "en-GB");
}

function openPush(pushId) {
  const push = phone.incoming.find((p) => p.push_id === pushId);
  if (!push) return;
  openRequest = push;
  picked = null;
  say($("lan-phone-request-text"), "request.text", { username: push.username });
  say($("lan-phone-request-expiry"), "request.expiry", { time: localTime(push.expires_at) });
  $("lan-phone-approve-pin").value = "";
  const numbers = $("lan-phone-number-choices");
  numbers.textContent = "";
  numbers.hidden = !push.number_choices;
  for (const n of push.number_choices || []) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = String(n);
    b.dataset.testid = "lan-phone-number-choice";
    b.dataset.number = String(n);
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      picked = n;
      for (const other of numbers.children) other.setAttribute("aria-pressed", String(other === b));
    });
    numbers.appendChild(b);
  }
  show("lan-phone-request", numbers.firstChild || $("lan-phone-approve-pin"));
}

async function answer(path, body, done) {
  if (!openRequest) return;
  try {
    await api("POST", path, { push_id: openRequest.push_id, ...body });
    openRequest = null;
    show("lan-phone-home");
    notice(done);
  } catch (err) {
    if (err.code === "not_paired") return;
    openRequest = null;
    show("lan-phone-home");
    showError(err);
  }
  refresh();
}

// ---- activation (K1) ----

async function sendCode(event) {
  event.preventDefault();
  try {
    const started = await api("POST", "activation/start", {
      username: $("lan-phone-username").value.trim(),
      password: $("lan-phone-password").value,
      phone_number: $("lan-phone-number").value.trim(),
    });
    if (started.status === "verify_device") return showVerify(started);
    showCodeStep(started);
  } catch (err) {
    if (err.code !== "not_paired") showError(err);
  }
}

function showCodeStep(sent) {
  say($("lan-phone-code-sent"), "code.sent", { number: sent.masked_number });
  $("lan-phone-code-input").value = "";
  $("lan-phone-pin-new").value = "";
  show("lan-phone-code", $("lan-phone-code-input"));
  pollMessages($("lan-phone-sms-list"), "lan-phone-code", $("lan-phone-code-input"));
}

const VERIFY_METHODS = ["challenge", "sms", "index_card", "temporary_passcode"];

function device(kind, id) {
  const names = { dsc_plus: "Digital Security Card+", ib_key: "IB Key", sms: "SMS", security_code_card: "Security Code Card", temporary_passcode: locale === "fr" ? "code de sécurité temporaire" : "temporary passcode" };
  const name = names[kind] || kind || "";
  return id ? `${name} ${id}` : name;
}

function showVerify(step) {
  const method = VERIFY_METHODS.includes(step.method) ? step.method : "challenge";
  say($("lan-phone-verify-text"), `verify.${method}`, { device: device(step.device_kind, step.device_id), number: step.masked_number });
  const shown = $("lan-phone-verify-challenge");
  delete shown.dataset.key;
  if (method === "index_card") {
    const [first, second] = step.indexes.map((i) => String(i).padStart(2, "0"));
    say(shown, "verify.index_card.shown", { first, second });
  } else {
    shown.textContent = method === "challenge" ? step.challenge : "";
  }
  shown.hidden = !shown.textContent;
  const sms = $("lan-phone-verify-sms");
  sms.hidden = method !== "sms";
  say($("lan-phone-verify-label"), `verify.label.${method}`);
  $("lan-phone-verify-response").inputMode = method === "temporary_passcode" ? "text" : "numeric";
  $("lan-phone-verify-response").value = "";
  show("lan-phone-verify", $("lan-phone-verify-response"));
  if (method === "sms") pollMessages(sms, "lan-phone-verify", $("lan-phone-verify-response"));
}

async function submitVerify(event) {
  event.preventDefault();
  try {
    showCodeStep(await api("POST", "activation/verify", { response: $("lan-phone-verify-response").value }));
  } catch (err) {
    if (err.code === "not_paired") return;
    // A wrong response ends the activation: back to its first screen.
    if (err.code !== "listener_unreachable" && err.code !== "broker_unreachable") show("lan-phone-activate", $("lan-phone-username"));
    showError(err);
  }
}

// The phone's text messages (the demo's simulated SMS), the last three, each with a
// button that puts its code in `field`; read again every second while `screen` shows.
async function pollMessages(box, screen, field) {
  if (current !== screen || !paired) return;
  const inbox = await api("GET", "messages").catch(() => null);
  if (inbox) showInbox(box, inbox.messages, field);
  setTimeout(() => pollMessages(box, screen, field), 1000);
}

function showInbox(box, messages, field) {
  const last = messages.slice(-3);
  const key = JSON.stringify(last.map((m) => m.body));
  if (box.dataset.shown === key) return;
  box.dataset.shown = key;
  box.textContent = "";
  const item = box.tagName === "UL" ? "li" : "div";
  if (last.length === 0) {
    const empty = document.createElement(item);
    empty.className = "muted";
    say(empty, "sms.none");
    box.appendChild(empty);
  }
  for (const m of last) {
    const entry = document.createElement(item);
    entry.dataset.testid = "lan-phone-sms";
    const body = document.createElement("span");
    body.className = "sms-body";
    body.textContent = m.body;
    entry.appendChild(body);
    const code = (m.body.match(/\b\d{4,8}\b/) || [])[0];
    if (code) {
      const use = document.createElement("button");
      use.type = "button";
      use.className = "link";
      use.dataset.testid = "lan-phone-sms-use";
      use.dataset.code = code;
      say(use, "sms.use");
      use.addEventListener("click", () => {
        field.value = code;
        field.focus();
      });
      entry.appendChild(use);
    }
    box.appendChild(entry);
  }
}

async function finishActivation(event) {
  event.preventDefault();
  try {
    await api("POST", "activation/finish", {
      code: $("lan-phone-code-input").value,
      pin: $("lan-phone-pin-new").value,
    });
    await refresh();
    show("lan-phone-home");
    notice("notice.activated");
  } catch (err) {
    if (err.code !== "not_paired") showError(err);
  }
}

// ---- K3 ----

async function generate(event) {
  event.preventDefault();
  const account = phone && phone.accounts[0];
  if (!account) return;
  try {
    const done = await api("POST", "authenticate", {
      username: account.username,
      pin: $("lan-phone-auth-pin").value,
      challenge: $("lan-phone-auth-challenge").value,
    });
    $("lan-phone-auth-response").textContent = done.response;
  } catch (err) {
    if (err.code !== "not_paired") showError(err);
  }
}

// ---- what the app pushes ----

function listen() {
  if (events || typeof EventSource === "undefined") return;
  events = new EventSource("/phone/api/events");
  events.addEventListener("changed", () => refresh());
  events.addEventListener("unpaired", () => unpaired());
  events.addEventListener("open", () => refresh());
  events.onerror = () => {
    // Closed for good (the pairing ended, or the app went away): ask once more.
    if (events && events.readyState === EventSource.CLOSED) {
      events = null;
      refresh();
    }
  };
}

window.addEventListener("DOMContentLoaded", async () => {
  applyLocale(locale);
  $("lan-phone-activate").addEventListener("submit", sendCode);
  $("lan-phone-verify").addEventListener("submit", submitVerify);
  $("lan-phone-verify-cancel").addEventListener("click", () => show("lan-phone-activate", $("lan-phone-username")));
  $("lan-phone-code").addEventListener("submit", finishActivation);
  $("lan-phone-code-cancel").addEventListener("click", () => show("lan-phone-activate", $("lan-phone-username")));
  $("lan-phone-request").addEventListener("submit", (event) => {
    event.preventDefault();
    if (openRequest && openRequest.number_choices && picked === null) {
      const box = $("lan-phone-error");
      box.dataset.code = "pick_first";
      say(box, "request.pick_first");
      box.hidden = false;
      return;
    }
    answer("approve", { pin: $("lan-phone-approve-pin").value, picked }, "notice.approved");
  });
  $("lan-phone-deny").addEventListener("click", () => answer("deny", {}, "notice.denied"));
  $("lan-phone-request-back").addEventListener("click", () => {
    openRequest = null;
    show("lan-phone-home");
  });
  $("lan-phone-open-authenticate").addEventListener("click", () => {
    $("lan-phone-auth-response").textContent = "";
    $("lan-phone-auth-pin").value = "";
    show("lan-phone-authenticate", $("lan-phone-auth-pin"));
  });
  $("lan-phone-authenticate").addEventListener("submit", generate);
  $("lan-phone-auth-back").addEventListener("click", () => show("lan-phone-home"));
  await refresh();
  if (!paired && current === null) unpaired();
  // A slow check besides the event stream, which a phone's browser may drop asleep.
  setInterval(() => {
    if (paired) refresh();
  }, 5000);
});
