// The windows' language (issue 10): English, the text the pages are written in, or
// French. Loaded first by every page; the page's French texts come after it
// (`i18n-<page>.js`, through `i18n.add`).
//
// - Static text: an element with `data-i18n="key"` shows its French text for `key` in
//   French and its own English (as the HTML has it) otherwise; `data-i18n-attr=
//   "aria-label:key title:key2"` does the same for attributes.
// - Text built in JS: `i18n.t(key, params)` gives the text, `{name}` filled from params;
//   `i18n.text(el, key, params)` also keeps it on the element, so a switch of language
//   writes it again. A param may be a function, called at each writing (a duration
//   said in the language of the moment).
// - Broker errors: `i18n.error(el, err)` shows the French text for `err.code` (the
//   broker sends English), the broker's own message in English. Its hints by their
//   `hint_codes`; its other prose (messages, confirmations) is worded here from the
//   fields beside it, never read.
//
// The language is the app's (`locale_get`); `locale-changed` tells every window of a
// switch. `<html lang>` follows, for screen readers.
"use strict";

const i18n = (() => {
  const texts = { en: {}, fr: {} };
  let locale = "en";
  // Static elements: their English, as the page had it before any French.
  const originals = new WeakMap();
  const attrOriginals = new WeakMap();
  // Elements written from JS: their params and, for errors, the broker's English.
  const written = new WeakMap();
  const changed = [];

  function fill(text, params) {
    return text.replace(/\{(\w+)\}/g, (whole, name) => {
      if (!(name in params)) return whole;
      const value = params[name];
      return String(typeof value === "function" ? value() : value);
    });
  }

  function has(key) {
    return key in texts[locale] || key in texts.en;
  }

  function t(key, params = {}) {
    const text = key in texts[locale] ? texts[locale][key] : texts.en[key];
    if (text === undefined) {
      console.warn(`i18n: no text for ${key}`);
      return key;
    }
    return fill(text, params);
  }

  function render(el) {
    const key = el.dataset.i18n;
    const mine = written.get(el);
    if (mine) {
      const french = locale === "fr" && key in texts.fr;
      el.textContent = mine.english !== undefined && !french ? mine.english : t(key, mine.params);
      return;
    }
    if (!originals.has(el)) originals.set(el, el.innerHTML);
    // Our own texts, never a user's or the broker's: markup (<b>, <code>) is allowed.
    el.innerHTML = locale === "fr" && key in texts.fr ? texts.fr[key] : originals.get(el);
  }

  function renderAttrs(el) {
    if (!attrOriginals.has(el)) attrOriginals.set(el, {});
    const kept = attrOriginals.get(el);
    for (const pair of el.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
      const [attr, key] = pair.split(":");
      if (!(attr in kept)) kept[attr] = el.getAttribute(attr);
      const text = locale === "fr" && key in texts.fr ? texts.fr[key] : kept[attr];
      if (text !== null) el.setAttribute(attr, text);
    }
  }

  function apply() {
    document.documentElement.lang = locale;
    for (const el of document.querySelectorAll("[data-i18n]")) render(el);
    for (const el of document.querySelectorAll("[data-i18n-attr]")) renderAttrs(el);
  }

  function use(next) {
    locale = next === "fr" ? "fr" : "en";
    apply();
    for (const fn of changed) fn(locale);
  }

  // The broker's text for an error, or ours in French when we know its code
  // (`error.<code>.<reason>` first, then `error.<code>`).
  function errorKey(err) {
    const reason = err.details && err.details.reason;
    const specific = `error.${err.code}.${reason}`;
    return reason && specific in texts.fr ? specific : `error.${err.code}`;
  }

  window.addEventListener("DOMContentLoaded", async () => {
    apply();
    const tauri = window.__TAURI__;
    if (!tauri) return;
    tauri.event.listen("locale-changed", (e) => use(e.payload)).catch(() => {});
    const saved = await tauri.core.invoke("locale_get").catch(() => "en");
    if (saved !== locale) use(saved);
  });

  return {
    // A page's texts: `{ en: {key: text}, fr: {key: text} }` (English only for
    // texts built in JS; static English stays in the HTML).
    add(more) {
      Object.assign(texts.en, more.en || {});
      Object.assign(texts.fr, more.fr || {});
    },
    locale: () => locale,
    t,
    has,
    // Writes `key`'s text into `el` now and again at each switch of language.
    text(el, key, params = {}) {
      el.dataset.i18n = key;
      written.set(el, { params });
      el.textContent = t(key, params);
    },
    // Text that is no one's to translate (a name, a code, a number): stays as it is.
    plain(el, text) {
      delete el.dataset.i18n;
      written.delete(el);
      el.textContent = text;
    },
    // An error's English message, or the French for its code.
    message(err) {
      const key = `error.${err.code}`;
      return locale === "fr" && key in texts.fr ? texts.fr[key] : err.message;
    },
    // A span with the error's text: the broker's English, or French for its code.
    // A check of the window's own may name its text's key (`err.key`).
    error(err) {
      const span = document.createElement("span");
      span.dataset.i18n = err.key || errorKey(err);
      written.set(span, { params: {}, english: err.message });
      render(span);
      return span;
    },
    // A hint from the broker (L6): ours for its code (`hint_codes`, `hint.<code>`),
    // the broker's English as it came when it has none we know.
    hint(english, code) {
      const span = document.createElement("span");
      const key = `hint.${code}`;
      if (!code || !(key in texts.en)) {
        span.textContent = english;
        return span;
      }
      span.dataset.i18n = key;
      written.set(span, { params: {}, english });
      render(span);
      return span;
    },
    // Called after each switch, for what a page draws itself.
    onChange(fn) {
      changed.push(fn);
    },
  };
})();

// Texts every window shares: the broker's error codes, the app's own, the L6 hints.
i18n.add({
  en: {
    "hint.temporary_case": "Temporary passcodes are upper case and case-sensitive.",
    "hint.no_spaces": "Security card and device responses have no spaces between characters.",
  },
  fr: {
    "menu.language": "Langue",
    "menu.devices": "Appareils",
    "menu.open_card": "Simulateur de carte DSC+",
    "menu.open_phone": "Simulateur de téléphone IB Key",
    "menu.open_codecard": "Simulateur de carte de codes de sécurité",
    "retry": "Réessayer",
    "field.username": "Nom d'utilisateur",
    "field.password": "Mot de passe",
    "back": "Retour",
    "continue": "Continuer",
    "cancel": "Annuler",
    "typed.challenge_code": "Code de défi",
    "hint.temporary_case": "Les codes de sécurité temporaires sont en majuscules et sensibles à la casse.",
    "hint.no_spaces": "Les réponses de la carte et de l'appareil de sécurité ne contiennent pas d'espaces entre les caractères.",
    // The broker's codes (api/src/error.rs, README's error table).
    "error.bad_character": "CARACTÈRE NON VALIDE",
    "error.missing_field": "Un champ obligatoire est vide.",
    "error.bad_request": "Cette demande n'est pas valide.",
    "error.invalid_json": "La demande n'a pas pu être lue.",
    "error.invalid_query": "La demande n'a pas pu être lue.",
    "error.unavailable": "Le serveur de connexion est indisponible pour le moment. Réessayez dans un instant.",
    "error.forbidden_origin": "Cette demande est refusée : origine non autorisée.",
    "error.forbidden_host": "Cette demande est refusée : hôte non autorisé.",
    "error.qa_token_required": "Un jeton QA est requis.",
    "error.busy": "Le serveur de connexion est occupé. Réessayez dans un instant.",
    "error.invalid_field": "Un champ est manquant, inconnu ou d'un type incorrect.",
    "error.unsupported_media_type": "Cette demande n'est pas au format JSON.",
    "error.body_too_large": "Cette demande est trop volumineuse.",
    "error.invalid_credentials": "Combinaison nom d'utilisateur/mot de passe non valide",
    "error.login_failed": "Échec de la connexion",
    "error.login_failed.number_mismatch": "Échec de la connexion : un autre nombre a été choisi sur le téléphone.",
    "error.invalid_session": "Votre session n'est plus valide. Reconnectez-vous.",
    "error.session_expired": "Votre session a expiré. Reconnectez-vous.",
    "error.session_expired.idle": "Vous avez été déconnecté après une période d'inactivité. Reconnectez-vous.",
    "error.session_expired.daily_end": "Votre session a pris fin à l'heure de fin de session quotidienne. Reconnectez-vous.",
    "error.session_expired.device_ended": "Votre accès temporaire a pris fin : votre appareil de connexion sécurisée a été réactivé, ou un appareil de remplacement a été activé.",
    "error.locked": "Ce compte est verrouillé après trop de tentatives de connexion infructueuses. Le Service clientèle peut vous aider.",
    "error.challenge_expired": "Le délai de réponse est dépassé. Reconnectez-vous pour obtenir un nouveau code.",
    "error.no_pending_login": "Aucune connexion n'attend cette réponse. Reconnectez-vous.",
    "error.wrong_stage": "La connexion n'en est pas à cette étape.",
    "error.login_expired": "Le délai de connexion est dépassé. Reconnectez-vous.",
    "error.push_denied": "Échec de la connexion : la demande a été refusée sur le téléphone.",
    "error.push_expired": "La notification a expiré sans réponse.",
    "error.push_already_answered": "Cette notification a déjà reçu une réponse.",
    "error.number_mismatch": "Un autre nombre a été choisi sur le téléphone.",
    "error.invalid_phone_number": "Numéro de téléphone non valide : chiffres seulement, sans 0 initial, de 6 à 14 chiffres.",
    "error.invalid_pin": "Code PIN non valide.",
    "error.invalid_code": "Code d'activation incorrect.",
    "error.activation_over": "L'activation a pris fin : le code a expiré ou a été saisi trois fois de façon incorrecte.",
    "error.already_added": "Cet utilisateur est déjà sur ce téléphone.",
    "error.unknown_phone": "Ce téléphone n'est pas reconnu. Associez-le de nouveau.",
    "error.use_client_portal": "Votre code de sécurité temporaire ne donne plus accès à la plateforme de négociation. Connectez-vous au Portail Client pour obtenir votre carte de codes de sécurité en ligne.",
    "error.temporary_access_expired": "Votre accès temporaire a expiré. Contactez le Service clientèle.",
    "error.no_active_device": "Vous n'avez aucun appareil de connexion sécurisée actif. Contactez le Service clientèle.",
    "error.not_permitted": "Cette action n'est pas autorisée dans cette session.",
    "error.consecutive_passcode": "Aucun nouveau code de sécurité temporaire tant qu'un appareil permanent n'a pas été réactivé.",
    "error.not_found": "Introuvable.",
    "error.method_not_allowed": "Cette action n'est pas disponible.",
    "error.internal": "Le serveur de connexion a rencontré un problème. Réessayez plus tard.",
    "error.not_primary": "Seul l'utilisateur principal de l'entité peut modifier ces paramètres.",
    "error.restricted": "Cette action est restreinte tant que vous ne participez pas au Système de connexion sécurisée.",
    "error.limit_exceeded": "Ce retrait dépasse votre limite.",
    "error.less_secure_device": "Appareil moins sécurisé",
    "error.different_identification": "Informations d'identification différentes",
    "error.temporary_device_assigned": "Un code de sécurité temporaire ou une carte en ligne est attribué à l'un des utilisateurs.",
    "error.use_add_user": "L'appareil de ce titulaire est IB Key : utilisez « Ajouter un utilisateur » dans l'application.",
    "error.insufficient_equity": "Une Digital Security Card+ requiert un capital d'au moins 1 000 000 USD.",
    "error.invalid_address": "Adresse de livraison non valide.",
    "error.already_has_dsc_plus": "Une Digital Security Card+ est déjà commandée, expédiée ou active.",
    "error.no_pending_order": "Aucune commande n'attend cette confirmation.",
    "error.not_returnable": "Une carte de codes de sécurité ne se retourne pas : détruisez-la.",
    // The app's own codes.
    "error.broker_unreachable": "Le serveur de connexion est injoignable. Portcullis continue d'essayer ; choisissez Réessayer pour essayer maintenant.",
    "error.broker_timeout": "Le serveur de connexion n'a pas répondu à temps. Portcullis continue d'essayer ; choisissez Réessayer pour essayer maintenant.",
    "error.broker_starting": "Le serveur de connexion démarre. Réessayez dans un instant.",
    "error.broker_not_started": "Le serveur de connexion n'a pas démarré.",
    "error.bad_setting": "Renvoi au plus 10 fois.",
    "error.ipc": "L'application n'a pas pu traiter cette demande.",
    "error.qa_disabled": "Ce serveur de connexion n'offre pas les commandes de démonstration (son mode QA est désactivé).",
    "error.card_bad_key": "Cet appareil n'est pas une carte de codes de sécurité.",
    "error.invalid_card_image": "L'image de la carte est manquante.",
    "error.settings": "Les paramètres n'ont pas pu être enregistrés.",
    "error.window": "La fenêtre n'a pas pu s'ouvrir.",
    "error.phone": "Le simulateur de téléphone a rencontré un problème.",
    "error.choose_an_item": "Sélectionnez un élément, puis Continuer.",
  },
});
