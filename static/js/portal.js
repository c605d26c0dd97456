// Portal-wide behaviour: charts declared in markup (data-chart), confirm prompts, selects that submit
// their form when changed (data-submit-on-change) and formset "add a row" buttons (data-formset-add, with
// data-formset-template and data-formset-rows). No inline script anywhere: the CSP forbids it.
// A reader who asked their system for less motion gets charts drawn at once, not animated.
if (window.Chart && window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
  Chart.defaults.animation = false;
}

function drawCharts(root) {
  root.querySelectorAll("canvas[data-chart]").forEach(function (el) {
    const spec = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    new Chart(el, spec);
  });
}

document.addEventListener("DOMContentLoaded", function () {
  drawCharts(document);
});

// A home panel refreshed by htmx (hx-get on its wrapper) draws its charts again.
document.addEventListener("htmx:afterSwap", function (event) {
  drawCharts(event.detail.target);
});

document.addEventListener("change", function (event) {
  const el = event.target;
  if (el.matches && el.matches("select[data-submit-on-change]") && el.form) {
    el.form.submit();
  }
});

document.addEventListener("click", function (event) {
  const button = event.target.closest && event.target.closest("[data-formset-add]");
  if (!button) {
    return;
  }
  const total = document.getElementById("id_" + button.dataset.formsetAdd + "-TOTAL_FORMS");
  const html = document.getElementById(button.dataset.formsetTemplate).innerHTML.replace(/__prefix__/g, total.value);
  document.getElementById(button.dataset.formsetRows).insertAdjacentHTML("beforeend", html);
  total.value = parseInt(total.value, 10) + 1;
});
