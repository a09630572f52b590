// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before actions that end an item's work.
  for (const form of document.querySelectorAll('form.action[data-action="dismiss"], form.action[data-action="close"]')) {
    form.addEventListener("submit", (e) => {
      const lang = document.documentElement.lang;
      const msg = lang === "en" ? "Are you sure?" : "Bạn chắc chắn chứ?";
      if (!window.confirm(msg)) e.preventDefault();
    });
  }
  // "Kiểm tra lại ngay" answers on the page: the check is queued, then the revisions section is
  // replaced once the re-check has run (the page is polled, at most for ninety seconds).
  const wireRecheck = () => {
    const recheck = document.getElementById("recheck");
    const status = document.getElementById("recheck-status");
    const section = document.getElementById("item-revisions");
    if (!recheck || !status || !section || !window.fetch) return;
    recheck.addEventListener("submit", async (e) => {
      e.preventDefault();
      const before = section.dataset.lastCheck || "";
      const button = recheck.querySelector("button");
      button.disabled = true;
      status.textContent = status.dataset.pending;
      try {
        const r = await fetch(recheck.action, { method: "POST", body: new URLSearchParams(new FormData(recheck)), credentials: "same-origin" });
        if (!r.ok) throw new Error(String(r.status));
      } catch (err) {
        recheck.submit(); // let the server answer the ordinary way
        return;
      }
      for (let i = 0; i < 45; i++) {
        await new Promise((ok) => setTimeout(ok, 2000));
        const html = await fetch(window.location.href, { credentials: "same-origin" }).then((r) => r.text()).catch(() => "");
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("item-revisions");
        if (fresh && (fresh.dataset.lastCheck || "") !== before) {
          section.dataset.lastCheck = fresh.dataset.lastCheck;
          section.replaceChildren(...fresh.childNodes);
          const done = document.getElementById("recheck-status");
          if (done) done.textContent = done.dataset.done;
          wireRecheck();
          return;
        }
      }
      status.textContent = status.dataset.late;
      button.disabled = false;
    });
  };
  wireRecheck();
  // "/" focuses the search box, as in most search tools.
  const box = document.querySelector('.searchbar input[type="search"]');
  if (box) {
    document.addEventListener("keydown", (e) => {
      if (e.key === "/" && document.activeElement !== box && !(e.target instanceof HTMLInputElement) && !(e.target instanceof HTMLTextAreaElement)) {
        e.preventDefault();
        box.focus();
      }
    });
  }
});
