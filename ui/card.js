// The DSC+ card simulator (C2): press → PIN> → OK → CHALLNG> → OK → 8-digit response.
// The response is computed in Rust from the card's own key (kept in the OS keyring);
// the PIN is not checked here — a wrong PIN makes a wrong response, as on a real card.
"use strict";

const $ = portcullis.byTestId;

const card = { state: "off", pin: "", challenge: "", deviceId: null };

function render() {
  const lcd = $("card-display");
  lcd.dataset.state = card.state;
  switch (card.state) {
    case "off": lcd.textContent = ""; break;
    case "pin": lcd.textContent = `PIN>${"*".repeat(card.pin.length)}`; break;
    case "challenge": lcd.textContent = `CHALLNG>${card.challenge}`; break;
    case "busy": lcd.textContent = "…"; break;
    case "response": lcd.textContent = card.response; break;
    case "error": lcd.textContent = "Err"; break;
  }
}

function showError(err) {
  const box = $("card-error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.dataset.code = err.code;
  box.replaceChildren(i18n.error(err));
  box.hidden = false;
}

function press() {
  card.state = "pin";
  card.pin = "";
  card.challenge = "";
  showError(null);
  render();
}

function digit(d) {
  if (card.state === "pin" && card.pin.length < 4) card.pin += d;
  else if (card.state === "challenge" && card.challenge.length < 6) card.challenge += d;
  render();
}

function clearKey() {
  if (card.state === "pin") card.pin = card.pin.slice(0, -1);
  else if (card.state === "challenge") card.challenge = card.challenge.slice(0, -1);
  render();
}

async function ok() {
  if (card.state === "pin" && card.pin.length === 4) {
    card.state = "challenge";
  } else if (card.state === "challenge" && card.challenge.length === 6) {
    card.state = "busy";
    render();
    try {
      card.response = await portcullis.call("card_response", {
        deviceId: card.deviceId, pin: card.pin, challenge: card.challenge,
      });
      card.state = "response";
    } catch (err) {
      card.state = "error";
      showError(err);
    }
    card.pin = "";
  }
  render();
}

async function chooseCard(deviceId) {
  card.deviceId = deviceId;
  card.state = "off";
  render();
  showError(null);
  $("card-device").dataset.ready = "false";
  try {
    await portcullis.call("card_load", { deviceId });
    $("card-device").dataset.ready = "true";
  } catch (err) {
    showError(err);
  }
}

async function loadCards() {
  const select = $("card-select");
  try {
    const devices = await portcullis.call("card_devices");
    select.textContent = "";
    for (const d of devices) {
      const option = document.createElement("option");
      option.value = d.id;
      option.textContent = `${d.id} — ${d.owner}`;
      option.dataset.owner = d.owner;
      select.appendChild(option);
    }
    if (devices.length) await chooseCard(devices[0].id);
  } catch (err) {
    if (err.code === "broker_starting") { setTimeout(loadCards, 300); return; }
    showError(err);
  }
}

window.addEventListener("DOMContentLoaded", () => {
  for (let d = 0; d <= 9; d++) $(`card-key-${d}`).addEventListener("click", () => digit(String(d)));
  $("card-key-ok").addEventListener("click", ok);
  $("card-key-clear").addEventListener("click", clearKey);
  $("card-press").addEventListener("click", press);
  $("card-select").addEventListener("change", (e) => chooseCard(e.target.value));
  // The card's keys from the keyboard, anywhere but the card list (its own keys there).
  // Enter is always OK, never a press of whichever key has focus.
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
    if (/^[0-9]$/.test(e.key)) digit(e.key);
    else if (e.key === "Enter") {
      e.preventDefault();
      ok();
    } else if (e.key === "Backspace") {
      e.preventDefault();
      clearKey();
    }
  });
  render();
  $("card-select").focus();
  loadCards();
});
