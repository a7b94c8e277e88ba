// Behaviour that pages declare with data attributes instead of inline handlers, which the
// Content-Security-Policy (script-src 'self') refuses to run.
//   <select data-autosubmit>  submits its form when the choice changes (year selectors)
//   <button data-print>       opens the print dialog (printable report)
(function () {
  "use strict";
  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
