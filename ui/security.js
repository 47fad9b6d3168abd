// The main window's Secure Login settings (issue 9), following the articles' steps:
// only the primary user sees the controls, anyone else a notice naming that user (O3);
// Share Device (S1–S6), the configure page's opt-out and opt back in (O1, O2), Request
// Physical Device (D4, R1), returning a device or reporting it lost (R2–R4), and the
// deposits held for devices.
//
// It refreshes with each session check main.js makes (the "portcullis-session" event),
// redrawing only what changed, and tells trading.js about the account
// ("portcullis-account"). Every refusal is the broker's, with the articles' wording.
"use strict";

(() => {
  const $ = portcullis.byTestId;

  // The steps, one shown at a time; each has a heading `<step>-heading`.
  const STEPS = [
    "sls-enrol", "share-owner", "share-answer", "share-review", "share-done",
    "sls-configure-form", "sls-configure-done",
    "device-order-form", "device-order-summary", "device-order-done", "device-return-steps", "report-lost-form",
  ];
  const RETURNABLE_STATUS = ["active", "inactive", "shipped"];
  const TEMPORARY_KINDS = ["temporary_passcode", "online_security_code_card", "sms"];

  let session = null;
  let account = null;
  let devices = [];
  let holds = [];
  const shown = { account: null, sharings: null, devices: null, holds: null };

  // One step in view at a time; its heading takes focus so a screen reader reads it,
  // and the whole step scrolls into view (its buttons too, not just the heading).
  function showStep(name) {
    for (const step of STEPS) $(step).hidden = step !== name;
    if (name) {
      const heading = $(`${name}-heading`) || $(name).querySelector(".step-heading");
      heading.focus();
      $(name).scrollIntoView({ block: "nearest" });
    }
  }

  function closeSteps() {
    showStep(null);
    for (const box of ["share-error", "sls-error", "device-order-error", "return-error"]) portcullis.showError($(box), null);
    $("sls-heading").focus();
  }

  function onPortal() {
    return Boolean(session && session.channel === "portal");
  }

  // ---- Who may change the settings (O3) ------------------------------------------------

  function showAccount(info) {
    account = info;
    const notice = $("sls-not-primary");
    notice.hidden = info.primary;
    if (info.primary) i18n.plain(notice, "");
    else if (info.primary_username) i18n.text(notice, "sls.not_primary_named", { primary: info.primary_username });
    else i18n.text(notice, "sls.not_primary");
    notice.dataset.primary = info.primary_username || "";
    $("sls-portal-only").hidden = !info.primary || onPortal();
    $("sls-controls").hidden = !info.primary || !onPortal();
    showStatus();
    document.dispatchEvent(new CustomEvent("portcullis-account", { detail: info }));
  }

  // How logins are secured; S3 step 5a: with no active device, Share Device leads to
  // the enrollment menu.
  let devicesLoaded = false;

  function showStatus() {
    if (!account) return;
    const status = $("sls-status");
    status.dataset.optedOut = String(account.opted_out);
    const how = account.opted_out ? "sls.status.opted_out" : "sls.status.in";
    i18n.text(status, hasActiveDevice() || !devicesLoaded ? how : `${how}_no_device`);
  }

  function hasActiveDevice() {
    return devices.some((d) => d.status === "active" && !TEMPORARY_KINDS.includes(d.kind));
  }

  // ---- Share Device (S1–S6) ------------------------------------------------------------

  // What is being shared: the broker's ask, then its review.
  let sharing = null;

  function shareError(err) {
    portcullis.showError($("share-error"), err);
  }

  // S3 step 5: with no active device, the enrollment menu; otherwise step 6 at once.
  function startShare() {
    shareError(null);
    sharing = null;
    if (!hasActiveDevice()) {
      $("sls-enrol-share").checked = false;
      showStep("sls-enrol");
      return;
    }
    askOwner();
  }

  function continueEnrol(event) {
    event.preventDefault();
    if (!$("sls-enrol-share").checked) {
      shareError({ code: "choose_an_item", message: "Select an item, then Continue." });
      $("sls-enrol-share").focus();
      return;
    }
    askOwner();
  }

  function askOwner() {
    shareError(null);
    $("share-owner-username").value = "";
    $("share-owner-password").value = "";
    showStep("share-owner");
    $("share-owner-username").focus();
  }

  async function submitOwner(event) {
    event.preventDefault();
    shareError(null);
    const password = $("share-owner-password");
    try {
      const ask = await portcullis.call("sharing_start", {
        ownerUsername: $("share-owner-username").value,
        ownerPassword: password.value,
      });
      password.value = "";
      showAsk(ask);
    } catch (err) {
      password.value = "";
      shareError(err);
      $("share-owner-username").focus();
    }
  }

  // S3 step 7: the owner's device's challenge, or its two index numbers.
  function showAsk(ask) {
    sharing = { ask };
    const card = ask.method === "index_card";
    i18n.text($("share-answer-text"), card ? "share.answer.card" : "share.answer.challenge", {
      owner: ask.owner,
      device: () => format.device(ask.device_kind, ask.device_id),
      duration: () => format.duration(ask.expires_in_seconds),
    });
    $("share-challenge-line").hidden = card;
    $("share-challenge").textContent = card ? "" : ask.challenge;
    $("share-indexes").hidden = !card;
    $("share-index-first").textContent = card ? format.index(ask.indexes[0]) : "";
    $("share-index-second").textContent = card ? format.index(ask.indexes[1]) : "";
    i18n.text($("share-response-label"), card ? "share.codes_label" : "share.response_label");
    $("share-response").maxLength = card ? 6 : 8;
    $("share-response").value = "";
    showStep("share-answer");
    $("share-response").focus();
  }

  async function submitAnswer(event) {
    event.preventDefault();
    if (!sharing) return;
    shareError(null);
    const input = $("share-response");
    try {
      const review = await portcullis.call("sharing_answer", {
        sharingId: sharing.ask.sharing_id,
        response: input.value,
      });
      sharing.review = review;
      showReview(review);
    } catch (err) {
      input.value = "";
      shareError(err);
      // A spent or expired element asks for the owner's credentials again.
      if (portcullis.isConnectionError(err)) input.focus();
      else askOwnerAgain();
    }
  }

  function askOwnerAgain() {
    $("share-owner-password").value = "";
    showStep("share-owner");
    $("share-owner-password").focus();
  }

  // S3 step 8, S6: what is shared, and which of this user's devices are set aside.
  function showReview(review) {
    $("share-review-owner").textContent = review.owner;
    $("share-review-device").textContent = format.device(review.device.kind, review.device.id);
    if (review.devices_set_aside.length) {
      i18n.plain($("share-review-set-aside"), review.devices_set_aside.map((d) => format.device(d.kind, d.id)).join(", "));
    } else {
      i18n.text($("share-review-set-aside"), "share.none");
    }
    showStep("share-review");
  }

  async function confirmShare() {
    if (!sharing || !sharing.review) return;
    shareError(null);
    try {
      const done = await portcullis.call("sharing_confirm", { sharingId: sharing.review.sharing_id });
      showShareDone(done);
      refresh();
    } catch (err) {
      shareError(err);
      $("share-review-continue").focus();
    }
  }

  // S3 step 9, S4: approved at once, or pending until Compliance approves.
  function showShareDone(done) {
    const status = $("share-done-status");
    status.dataset.status = done.status;
    status.dataset.sharingId = done.id;
    i18n.text(status, done.status === "approved" ? "share.done.approved" : "share.done.pending", {
      owner: done.owner,
      device: () => format.device(done.device_kind, done.device_id),
    });
    sharing = null;
    showStep("share-done");
  }

  // An unconfirmed request lapses on the broker by itself (5 minutes).
  function cancelShare() {
    sharing = null;
    closeSteps();
  }

  // ---- The sharings in force, and cancelling one (S6) -----------------------------------

  // A sharing's status in words: `sharing.status.<status>` in i18n-main.js.
  function sharingWord(status) {
    return i18n.has(`sharing.status.${status}`) ? i18n.t(`sharing.status.${status}`) : status;
  }

  function showSharings(list) {
    const ul = $("sharing-list");
    const focused = ul.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    ul.replaceChildren();
    const standing = list.filter((s) => ["approved", "pending_compliance", "rejected", "cancelled"].includes(s.status));
    for (const s of standing) {
      const li = document.createElement("li");
      li.dataset.testid = `sharing-${s.id}`;
      li.dataset.status = s.status;
      const text = document.createElement("p");
      const mine = session && s.requester === session.username;
      const device = format.device(s.device_kind, s.device_id);
      i18n.text(text, mine ? "sharing.mine" : "sharing.theirs", {
        owner: s.owner,
        requester: s.requester,
        device: () => format.device(s.device_kind, s.device_id),
        status: () => sharingWord(s.status),
      });
      li.appendChild(text);
      if (mine && ["approved", "pending_compliance"].includes(s.status) && onPortal()) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary small";
        button.dataset.testid = `sharing-cancel-${s.id}`;
        button.textContent = i18n.t("sharing.cancel");
        button.setAttribute("aria-label", i18n.t("sharing.cancel_label", { owner: s.owner, device }));
        button.addEventListener("click", () => cancelSharing(s));
        li.appendChild(button);
      }
      ul.appendChild(li);
    }
    if (focused && $(focused)) $(focused).focus();
    ul.hidden = standing.length === 0;
    $("sharing-empty").hidden = standing.length > 0;
  }

  async function cancelSharing(s) {
    shareError(null);
    try {
      const done = await portcullis.call("sharing_cancel", { sharingId: s.id });
      const line = $("sharing-cancelled");
      i18n.text(line, done.devices_set_aside.length ? "sharing.cancelled_back" : "sharing.cancelled", {
        device: () => format.device(done.device_kind, done.device_id),
        back: done.devices_set_aside.join(", "),
      });
      line.focus();
      refresh();
    } catch (err) {
      shareError(err);
    }
  }

  // ---- The configure page (O1, O2) ------------------------------------------------------

  function openConfigure() {
    portcullis.showError($("sls-error"), null);
    const optedOut = Boolean(account && account.opted_out);
    $("sls-choice-always").checked = !optedOut;
    $("sls-choice-opt-out").checked = optedOut;
    showStep("sls-configure-form");
  }

  async function submitConfigure(event) {
    event.preventDefault();
    portcullis.showError($("sls-error"), null);
    const optIn = $("sls-choice-always").checked;
    try {
      const done = await portcullis.call(optIn ? "secure_login_opt_in" : "secure_login_opt_out");
      // O2's confirmation, worded here (`status: updated`; `message` is its English).
      i18n.text($("sls-configure-done-text"), "configure.done");
      $("sls-configure-done-text").dataset.optedOut = String(done.opted_out);
      showStep("sls-configure-done");
      refresh();
    } catch (err) {
      portcullis.showError($("sls-error"), err);
      $("sls-configure-continue").focus();
    }
  }

  // ---- Request Physical Device (D4, R1) -------------------------------------------------

  let order = null;

  function orderError(err) {
    portcullis.showError($("device-order-error"), err);
  }

  function openOrder() {
    orderError(null);
    order = null;
    $("device-order-pin").value = "";
    // R1 step 2: the address on file, so the user can tell whether to change it.
    if (account && account.shipping_address) i18n.plain($("device-order-on-file"), addressText(account.shipping_address));
    else i18n.text($("device-order-on-file"), "order_device.none_on_file");
    showStep("device-order-form");
  }

  function toggleAddress() {
    const box = $("device-order-address");
    box.hidden = !box.hidden;
    $("device-order-change-address").setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) $("device-order-line1").focus();
  }

  function typedAddress() {
    if ($("device-order-address").hidden) return null;
    const value = (id) => $(id).value.trim();
    const optional = (id) => value(id) || undefined;
    return {
      line1: value("device-order-line1"),
      line2: optional("device-order-line2"),
      city: value("device-order-city"),
      region: optional("device-order-region"),
      postal_code: value("device-order-postal-code"),
      country: value("device-order-country").toUpperCase(),
    };
  }

  function addressText(a) {
    return [a.line1, a.line2, `${a.city}${a.region ? `, ${a.region}` : ""} ${a.postal_code}`, a.country]
      .filter(Boolean)
      .join(", ");
  }

  // Steps 2–3 → step 4, the summary (the PIN stays in its field for Back).
  async function submitOrder(event) {
    event.preventDefault();
    orderError(null);
    try {
      const summary = await portcullis.call("device_order", {
        softPin: $("device-order-pin").value,
        shippingAddress: typedAddress(),
        depositAccount: $("device-order-deposit").value,
      });
      order = summary;
      i18n.text($("device-order-summary-kind"), "order_device.kind", { device: () => format.deviceName(summary.kind) });
      $("device-order-summary-address").textContent = addressText(summary.shipping_address);
      i18n.text($("device-order-summary-deposit"), "order_device.deposit_on", {
        amount: () => format.usd(summary.hold_usd),
        account: summary.deposit_account,
      });
      const ships = $("device-order-summary-ships");
      ships.dataset.date = summary.estimated_shipment_date;
      i18n.text(ships, "order_device.ships_on", { date: () => format.day(summary.estimated_shipment_date) });
      showStep("device-order-summary");
    } catch (err) {
      orderError(err);
      $("device-order-pin").focus();
    }
  }

  function orderBack() {
    orderError(null);
    showStep("device-order-form");
  }

  async function confirmOrder() {
    if (!order) return;
    orderError(null);
    try {
      const placed = await portcullis.call("device_order_confirm", { orderId: order.order_id });
      $("device-order-pin").value = "";
      order = null;
      const done = $("device-order-done-text");
      done.dataset.deviceId = placed.device_id;
      done.dataset.shipmentDate = placed.estimated_shipment_date;
      i18n.text(done, "order_device.done", {
        device: () => format.device(placed.kind, placed.device_id),
        date: () => format.day(placed.estimated_shipment_date),
        address: addressText(placed.shipping_address),
        amount: () => format.usd(placed.hold.amount_usd),
        account: placed.hold.account,
        days: placed.auto_activates_within_days,
      });
      showStep("device-order-done");
      refresh();
    } catch (err) {
      orderError(err);
      $("device-order-submit").focus();
    }
  }

  // ---- Returning a device or reporting it lost (R2–R4) ----------------------------------

  let reporting = null;

  function returnError(err) {
    portcullis.showError($("return-error"), err);
  }

  function actionButton(id, text, label, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small";
    button.dataset.testid = id;
    button.textContent = text;
    button.setAttribute("aria-label", label);
    button.addEventListener("click", onClick);
    return button;
  }

  // Physical devices only; a Security Code Card is shredded, not sent back (R2).
  function showReturnable(list) {
    const ul = $("return-devices");
    const focused = ul.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    ul.replaceChildren();
    // Only the user's own devices: one shared with them (S3) is its owner's to return.
    const returnable = (x) =>
      x.owner === account.username && RETURNABLE_STATUS.includes(x.status) && !TEMPORARY_KINDS.includes(x.kind) && x.kind !== "ib_key";
    for (const d of list.filter(returnable)) {
      const li = document.createElement("li");
      li.dataset.testid = `return-device-${d.id}`;
      const name = format.device(d.kind, d.id);
      const text = document.createElement("p");
      li.appendChild(text);
      if (d.kind === "security_code_card") {
        text.textContent = i18n.t("return.shred", { device: name });
      } else {
        text.textContent = name;
        li.appendChild(actionButton(`device-return-${d.id}`, i18n.t("return.button"), i18n.t("return.button_label", { device: name }), () => openReturn(d)));
      }
      const report = i18n.t("lost.button_label", { device: name });
      li.appendChild(actionButton(`device-report-lost-${d.id}`, i18n.t("lost.button"), report, () => openReport(d)));
      ul.appendChild(li);
    }
    if (focused && $(focused)) $(focused).focus();
  }

  // The return article's three steps, then "I have sent it".
  let returning = null;

  function openReturn(d) {
    returnError(null);
    returning = d;
    $("device-return-device").textContent = format.device(d.kind, d.id);
    showStep("device-return-steps");
  }

  async function returnDevice(event) {
    event.preventDefault();
    const d = returning;
    if (!d) return;
    returnError(null);
    try {
      const back = await portcullis.call("device_return", { deviceId: d.id });
      returning = null;
      showStep(null);
      const line = $("return-done");
      line.dataset.outcome = "returned";
      i18n.text(line, back.hold ? "return.done_deposit" : "return.done", {
        device: () => format.device(back.kind, back.device_id),
        date: () => format.when(back.expected_received_at),
        amount: () => (back.hold ? format.usd(back.hold.amount_usd) : ""),
      });
      line.focus();
      refresh();
    } catch (err) {
      returnError(err);
    }
  }

  function openReport(d) {
    returnError(null);
    reporting = d;
    // R2: a deposit is kept only where one is held (an ordered DSC+).
    const held = holds.find((h) => h.device_id === d.id && h.status === "held");
    i18n.text($("report-lost-text"), held ? "lost.text_deposit" : "lost.text", {
      device: () => format.device(d.kind, d.id),
      usd: held ? held.amount_usd : 0,
    });
    $("report-lost-reason").value = "lost";
    showStep("report-lost-form");
  }

  async function submitReport(event) {
    event.preventDefault();
    if (!reporting) return;
    returnError(null);
    try {
      const lost = await portcullis.call("device_report_lost", { deviceId: reporting.id, reason: $("report-lost-reason").value });
      reporting = null;
      showStep(null);
      const line = $("return-done");
      line.dataset.outcome = lost.reason;
      i18n.text(line, lost.hold ? "lost.done_deposit" : "lost.done", {
        device: () => format.device(lost.kind, lost.device_id),
        reason: () => (i18n.has(`lost.reason.${lost.reason}`) ? i18n.t(`lost.reason.${lost.reason}`) : lost.reason),
        amount: () => (lost.hold ? format.usd(lost.hold.amount_usd) : ""),
      });
      line.focus();
      refresh();
    } catch (err) {
      returnError(err);
    }
  }

  // ---- Deposits held (R1, R2) ------------------------------------------------------------

  function showHolds(holds) {
    const table = $("holds");
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const h of holds) {
      const row = document.createElement("tr");
      row.dataset.testid = `hold-${h.device_id}`;
      row.dataset.status = h.status;
      const status = i18n.has(`holds.status.${h.status}`) ? i18n.t(`holds.status.${h.status}`) : h.status;
      const cells = [h.device_id, h.account, format.usd(h.amount_usd), status, format.when(h.placed_at), h.settled_at ? format.when(h.settled_at) : "—"];
      cells.forEach((text, i) => {
        const c = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) c.scope = "row";
        c.textContent = text;
        row.appendChild(c);
      });
      body.appendChild(row);
    }
    table.hidden = holds.length === 0;
    $("holds-empty").hidden = holds.length > 0;
  }

  // ---- Refreshing -------------------------------------------------------------------------

  // Redraws a part only when its answer changed (a screen reader is not sent through it
  // again every few seconds).
  function changed(key, value) {
    const text = JSON.stringify(value);
    if (text === shown[key]) return false;
    shown[key] = text;
    return true;
  }

  let refreshing = false;
  async function refresh() {
    if (refreshing || !session || session.restriction === "online_card_only") return;
    refreshing = true;
    try {
      const info = await portcullis.call("account_info", {}, { background: true });
      if (changed("account", [info, session.channel])) showAccount(info);
      if (info.primary) {
        const [sharings, mine, deposits] = await Promise.all([
          portcullis.call("sharing_list", {}, { background: true }),
          portcullis.call("account_devices", {}, { background: true }),
          portcullis.call("device_holds", {}, { background: true }),
        ]);
        devices = mine;
        devicesLoaded = true;
        showStatus();
        if (changed("sharings", sharings)) showSharings(sharings);
        if (changed("devices", mine)) showReturnable(mine);
        if (changed("holds", deposits)) showHolds(deposits);
        holds = deposits;
      }
    } catch (err) {
      // Connection trouble or an ended session: main.js's check says so.
    } finally {
      refreshing = false;
    }
  }

  window.addEventListener("DOMContentLoaded", () => {
    $("sls-share-device").addEventListener("click", startShare);
    $("sls-enrol").addEventListener("submit", continueEnrol);
    $("share-owner").addEventListener("submit", submitOwner);
    $("share-owner-cancel").addEventListener("click", cancelShare);
    $("share-answer").addEventListener("submit", submitAnswer);
    $("share-answer-cancel").addEventListener("click", cancelShare);
    $("share-review-continue").addEventListener("click", confirmShare);
    $("share-review-cancel").addEventListener("click", cancelShare);
    $("share-done-ok").addEventListener("click", closeSteps);
    $("sls-configure").addEventListener("click", openConfigure);
    $("sls-configure-form").addEventListener("submit", submitConfigure);
    $("sls-configure-cancel").addEventListener("click", closeSteps);
    $("sls-configure-ok").addEventListener("click", closeSteps);
    $("sls-request-device").addEventListener("click", openOrder);
    $("device-order-change-address").addEventListener("click", toggleAddress);
    $("device-order-form").addEventListener("submit", submitOrder);
    $("device-order-cancel").addEventListener("click", closeSteps);
    $("device-order-back").addEventListener("click", orderBack);
    $("device-order-submit").addEventListener("click", confirmOrder);
    $("device-order-ok").addEventListener("click", closeSteps);
    $("device-return-steps").addEventListener("submit", returnDevice);
    $("device-return-cancel").addEventListener("click", closeSteps);
    $("report-lost-form").addEventListener("submit", submitReport);
    $("report-lost-cancel").addEventListener("click", closeSteps);
    // What is drawn from data is drawn again in the new language (issue 10).
    i18n.onChange(() => {
      shown.sharings = null;
      shown.devices = null;
      shown.holds = null;
      refresh();
    });
    document.addEventListener("portcullis-session", (e) => {
      session = e.detail;
      refresh();
    });
  });
})();
