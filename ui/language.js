// The Language menu of the login and main windows (issue 10): English or Français,
// at once in every open window, and kept for the next start (`locale_set`). Added to
// the window's menu bar before `menus.setUpAll` runs (at DOMContentLoaded).
"use strict";

(() => {
  const menu = document.createElement("div");
  menu.className = "menu";
  menu.dataset.menu = "";
  menu.innerHTML = `
    <button type="button" data-testid="menu-language" aria-expanded="false" aria-controls="menu-language-items" data-i18n="menu.language">Language</button>
    <div class="menu-items" id="menu-language-items" hidden>
      <button type="button" data-testid="menu-language-en" lang="en">English</button>
      <button type="button" data-testid="menu-language-fr" lang="fr">Français</button>
    </div>`;
  document.querySelector("nav.menubar").appendChild(menu);
  const items = { en: portcullis.byTestId("menu-language-en"), fr: portcullis.byTestId("menu-language-fr") };
  const mark = (locale) => {
    for (const [code, item] of Object.entries(items)) {
      if (code === locale) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    }
  };
  for (const [code, item] of Object.entries(items)) {
    item.addEventListener("click", () => {
      portcullis.call("locale_set", { locale: code }).catch(() => {});
    });
  }
  mark(i18n.locale());
  i18n.onChange(mark);
})();
