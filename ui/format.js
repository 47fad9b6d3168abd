// How Portcullis words devices, times and time left: the one place for each, used by
// every window (issue 7). Pure functions, no DOM; in the window's language
// (`i18n.locale()`, issue 10).
"use strict";

const format = (() => {
  // The broker's device kinds as the articles name them.
  const DEVICE_NAMES = {
    dsc_plus: "Digital Security Card+",
    dsc: "Digital Security Card",
    platinum: "Platinum security device",
    gold: "Gold security device",
    ib_key: "IB Key",
    security_code_card: "Security Code Card",
    online_security_code_card: "Online Security Code Card",
    temporary_passcode: "Temporary passcode",
    sms: "SMS",
  };
  // As the French articles name them.
  const DEVICE_NAMES_FR = {
    ...DEVICE_NAMES,
    platinum: "Appareil de sécurité Platinum",
    gold: "Appareil de sécurité Gold",
    security_code_card: "Carte de codes de sécurité",
    online_security_code_card: "Carte de codes de sécurité en ligne",
    temporary_passcode: "Code de sécurité temporaire",
  };

  function french() {
    return typeof i18n !== "undefined" && i18n.locale() === "fr";
  }

  function deviceName(kind) {
    return (french() ? DEVICE_NAMES_FR : DEVICE_NAMES)[kind] || kind;
  }

  // "2026-05-02T14:03:09.123Z" → "2026-05-02 14:03:09 UTC" (or without seconds).
  function utc(iso, { seconds = true } = {}) {
    let text = String(iso).replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
    if (!seconds) text = text.replace(/(\d\d:\d\d):\d\d UTC$/, "$1 UTC");
    return text;
  }

  // "m:ss"
  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  // Time left in words, for screen readers and explanations: "3 minutes", "30 seconds"
  // ("30 secondes").
  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s >= 60 && s % 60 === 0) return s === 60 ? "1 minute" : `${s / 60} minutes`;
    if (s > 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
    if (french()) return s <= 1 ? `${s} seconde` : `${s} secondes`;
    return s === 1 ? "1 second" : `${s} seconds`;
  }

  // Issue 10: a moment, a day and an amount as the window's language writes them.
  // English keeps the broker's forms ("2026-05-02 14:03 UTC", "2026-03-06",
  // "50,000 USD"); French says "2 mai 2026 à 14:03 UTC", "6 mars 2026", "50 000 USD".
  function when(iso) {
    if (!french()) return utc(iso, { seconds: false });
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return `${d.toLocaleString("fr-FR", { timeZone: "UTC", dateStyle: "long", timeStyle: "short" })} UTC`;
  }

  function day(ymd) {
    if (!french()) return String(ymd);
    const d = new Date(`${ymd}T00:00:00Z`);
    if (Number.isNaN(d.getTime())) return String(ymd);
    return d.toLocaleDateString("fr-FR", { timeZone: "UTC", dateStyle: "long" });
  }

  function usd(n) {
    return `${Number(n).toLocaleString(french() ? "fr-FR" : "en-US")} USD`;
  }

  return {
    // "Digital Security Card+" for "dsc_plus"; an unknown kind as it came.
    deviceName,
    // "Digital Security Card+ DSCP-40211873"
    device(kind, id) {
      return `${deviceName(kind)} ${id}`;
    },
    // D7: an index number as the cards print it, "07".
    index(n) {
      return String(n).padStart(2, "0");
    },
    utc,
    when,
    day,
    usd,
    clock,
    duration,
    // An ISO time as the trader's local time, e.g. "2 May 2026, 14:03"; null if unreadable.
    localTime(iso) {
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) return null;
      return d.toLocaleString(french() ? "fr-FR" : [], { dateStyle: "medium", timeStyle: "short" });
    },
  };
})();
