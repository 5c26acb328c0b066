// Progressive enhancement for Consult. Every page works without this file.
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  // Character counters under comment fields.
  function updateCounter(textarea) {
    var counter = document.getElementById(textarea.dataset.counter);
    if (!counter) return;
    var max = parseInt(textarea.dataset.maxChars, 10);
    var used = textarea.value.trim().length;
    var over = used - max;
    counter.classList.toggle("over", over > 0);
    counter.textContent = over > 0
      ? format(counter.dataset.over, { over: over })
      : format(counter.dataset.template, { used: used, max: max });
  }

  // The proposed-wording field only matters when "proposed wording" is chosen.
  function syncProposal(form) {
    var field = form.querySelector(".proposal-field");
    if (!field) return;
    var chosen = form.querySelector(".kind-choice input:checked");
    field.hidden = !chosen || chosen.value !== "proposal";
  }

  // Without JavaScript the toggle is a plain link to the thread page; with it, a disclosure.
  function syncToggles() {
    document.querySelectorAll("[data-thread-toggle]").forEach(function (toggle) {
      toggle.setAttribute("aria-controls", "thread-" + toggle.dataset.threadToggle);
      var thread = document.getElementById("thread-" + toggle.dataset.threadToggle);
      toggle.setAttribute("aria-expanded", thread && thread.classList.contains("thread") ? "true" : "false");
    });
  }

  function collapse(key) {
    var thread = document.getElementById("thread-" + key);
    if (!thread) return;
    var slot = document.createElement("div");
    slot.id = "thread-" + key;
    slot.className = "thread-slot";
    thread.replaceWith(slot);
    syncToggles();
    var toggle = document.querySelector('[data-thread-toggle="' + key + '"]');
    if (toggle) toggle.focus();
  }

  function enhance(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(updateCounter);
    root.querySelectorAll("form.comment-form").forEach(syncProposal);
    if (root.matches && root.matches("form.comment-form")) syncProposal(root);
  }

  function focusAnnounced() {
    var target = document.querySelector("[data-autofocus]") || document.querySelector(".thread [aria-invalid='true']");
    if (target) {
      target.removeAttribute("data-autofocus");
      target.focus();
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-counter]")) updateCounter(event.target);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form.comment-form");
    if (form && event.target.name && event.target.name.slice(-4) === "kind") syncProposal(form);
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-thread]");
    if (close) collapse(close.dataset.closeThread);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var toggle = event.detail.elt;
    if (toggle.matches && toggle.matches("[data-thread-toggle]") && toggle.getAttribute("aria-expanded") === "true") {
      event.preventDefault();
      collapse(toggle.dataset.threadToggle);
    }
  });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  document.addEventListener("htmx:afterSettle", function () { syncToggles(); focusAnnounced(); });
  function showError() {
    var area = document.getElementById("flash");
    if (!area) return;
    var message = document.createElement("p");
    message.className = "flash flash-error";
    message.textContent = document.body.dataset.errorMessage;
    area.replaceChildren(message);
  }
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    syncToggles();
    focusAnnounced();
  });
})();

// A confirmation that htmx put into a page's dialog slot opens as a modal dialog; its cancel
// button closes it, and a confirmed action sent from it closes it when answered.
(function () {
  "use strict";

  function closeDialog(dialog) {
    if (dialog.open) dialog.close();
  }

  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("dialog[data-modal]:not([open])").forEach(function (dialog) {
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
    });
  });
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-close-dialog]");
    if (cancel) closeDialog(cancel.closest("dialog"));
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = event.detail.elt.closest && event.detail.elt.closest("dialog[data-modal]");
    if (dialog) closeDialog(dialog);
  });
})();
