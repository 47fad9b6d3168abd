// The main window's minimal order ticket and withdrawal form (issue 9): no market data,
// no matching; what shows is the broker enforcing the rules — an opted-out account's
// Pink Sheet and OTCBB refusal (O1) and the withdrawal limits by device (D2), with the
// restrictions in force and what is left to withdraw (from security.js's account, the
// "portcullis-account" event).
"use strict";

(() => {
  const $ = portcullis.byTestId;

  // O1's restrictions are `restriction.<code>` in i18n-main.js, in the words the
  // account home uses.

  function amount(usd) {
    return usd === null || usd === undefined ? i18n.t("main.unlimited") : `${usd.toLocaleString("en-US")} USD`;
  }

  function showWithdrawals(w) {
    i18n.text($("withdrawals-left-today"), "main.amount", { value: () => amount(w.left_today_usd) });
    $("withdrawals-left-today").dataset.usd = w.left_today_usd === null ? "" : String(w.left_today_usd);
    i18n.text($("withdrawals-left-5-days"), "main.amount", { value: () => amount(w.left_5_business_days_usd) });
  }

  function showAccount(info) {
    const list = $("restrictions-list");
    list.replaceChildren();
    for (const r of info.restrictions) {
      const li = document.createElement("li");
      li.dataset.testid = `restriction-${r}`;
      if (i18n.has(`restriction.${r}`)) i18n.text(li, `restriction.${r}`);
      else li.textContent = r;
      list.appendChild(li);
    }
    list.hidden = info.restrictions.length === 0;
    $("restrictions-none").hidden = info.restrictions.length > 0;
    showWithdrawals(info.withdrawals);
  }

  async function placeOrder(event) {
    event.preventDefault();
    const box = $("order-error");
    portcullis.showError(box, null);
    i18n.plain($("order-result"), "");
    try {
      const placed = await portcullis.call("order_place", {
        symbol: $("order-symbol").value.trim(),
        side: $("order-side").value,
        quantity: Number($("order-quantity").value),
      });
      $("order-result").dataset.orderId = placed.order_id;
      i18n.text($("order-result"), "trade.order_accepted", {
        id: placed.order_id,
        side: () => i18n.t(`trade.side.${placed.side}`),
        quantity: placed.quantity,
        symbol: placed.symbol,
      });
    } catch (err) {
      // O1: `restricted`, with the reason in `data-reason` for tests.
      box.dataset.reason = (err.details && err.details.reason) || "";
      portcullis.showError(box, err);
      $("order-symbol").focus();
    }
  }

  async function withdraw(event) {
    event.preventDefault();
    const box = $("withdrawal-error");
    portcullis.showError(box, null);
    i18n.plain($("withdrawal-result"), "");
    try {
      const made = await portcullis.call("withdrawal_make", { amountUsd: Number($("withdrawal-amount").value) });
      showWithdrawals(made.withdrawals);
      i18n.text($("withdrawal-result"), "trade.withdrawal_accepted", {
        id: made.withdrawal_id,
        amount: () => amount(made.amount_usd),
        left: () => amount(made.withdrawals.left_today_usd),
      });
    } catch (err) {
      // D2: `limit_exceeded`, whose message says what is left; its `withdrawals` update
      // the amounts shown.
      box.dataset.reason = (err.details && err.details.reason) || "";
      portcullis.showError(box, err);
      if (err.details && err.details.withdrawals) showWithdrawals(err.details.withdrawals);
      $("withdrawal-amount").focus();
    }
  }

  window.addEventListener("DOMContentLoaded", () => {
    $("order-form").addEventListener("submit", placeOrder);
    $("withdrawal-form").addEventListener("submit", withdraw);
    document.addEventListener("portcullis-account", (e) => showAccount(e.detail));
  });
})();
