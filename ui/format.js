// How Portcullis words devices, times and time left: the one place for each, used by
// every window (issue 7). Pure functions, no DOM.
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

  // Time left in words, for screen readers and explanations: "3 minutes", "30 seconds".
  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s >= 60 && s % 60 === 0) return s === 60 ? "1 minute" : `${s / 60} minutes`;
    if (s > 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
    return s === 1 ? "1 second" : `${s} seconds`;
  }

  return {
    // "Digital Security Card+" for "dsc_plus"; an unknown kind as it came.
    deviceName(kind) {
      return DEVICE_NAMES[kind] || kind;
    },
    // "Digital Security Card+ DSCP-40211873"
    device(kind, id) {
      return `${DEVICE_NAMES[kind] || kind} ${id}`;
    },
    // D7: an index number as the cards print it, "07".
    index(n) {
      return String(n).padStart(2, "0");
    },
    utc,
    clock,
    duration,
    // An ISO time as the trader's local time, e.g. "2 May 2026, 14:03"; null if unreadable.
    localTime(iso) {
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) return null;
      return d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    },
  };
})();
