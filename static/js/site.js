// Behaviour that pages declare with data attributes instead of inline handlers, which the
// Content-Security-Policy (script-src 'self') refuses to run.
//   <select data-autosubmit>  submits its form when the choice changes (year selectors)
//   <button data-print>       opens the print dialog (printable report)
//   [data-error-summary]      a form's error summary: focused on load, so a keyboard or screen
//                             reader user starts at the list of problems; following one of its
//                             links puts the focus in that field (a fragment alone only scrolls)
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
    const link = event.target.closest("[data-error-summary] a[href^='#']");
    const field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href")); // the address names the field, as the link would
      field.scrollIntoView({ block: "center" });
      field.focus({ preventScroll: true });
    }
  });
})();
