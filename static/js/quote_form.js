// The quote form: live totals and margin, and new line rows (templates/opportunities/quote_form.html).
(function () {
  "use strict";
  const form = document.getElementById("quote-form");
  const minMargin = parseFloat(form.dataset.minMargin);
  const fmt = function (x) { return x.toLocaleString(document.documentElement.lang || undefined, {minimumFractionDigits: 2, maximumFractionDigits: 2}); };
  const num = function (row, name) {
    const el = row.querySelector('[data-field="' + name + '"]');
    const v = el ? parseFloat(el.value) : NaN;
    return isFinite(v) ? v : 0;
  };
  const isDeleted = function (row) { const d = row.querySelector("[data-delete]"); return !!(d && d.checked); };
  const rows = function (prefix) { return form.querySelectorAll('[data-formset="' + prefix + '"] tbody [data-row]'); };
  function recalc() {
    let revenue = 0, cost = 0;
    rows("lines").forEach(function (row) {
      const amount = Math.round(num(row, "quantity") * num(row, "unit_price") * (1 - num(row, "discount_percent") / 100) * 100) / 100;
      row.querySelector("[data-amount]").textContent = fmt(amount);
      row.classList.toggle("opacity-50", isDeleted(row));
      if (!isDeleted(row)) { revenue += amount; }
    });
    rows("estimate").forEach(function (row) {
      row.classList.toggle("opacity-50", isDeleted(row));
      if (!isDeleted(row)) { cost += num(row, "amount"); }
    });
    const margin = revenue - cost;
    const pct = revenue ? margin * 100 / revenue : null;
    document.getElementById("total-revenue").textContent = fmt(revenue);
    document.getElementById("total-cost").textContent = fmt(cost);
    document.getElementById("total-margin").textContent = fmt(margin);
    const pctEl = document.getElementById("total-margin-percent");
    pctEl.textContent = pct === null ? "—" : fmt(pct) + "%";
    const low = pct !== null && pct < minMargin;
    pctEl.classList.toggle("text-danger", low);
    document.getElementById("margin-warning").classList.toggle("d-none", !low);
  }
  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.addEventListener("click", function () {
      const prefix = button.dataset.addRow;
      const total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
      const html = document.getElementById(prefix + "-empty").innerHTML.replace(/__prefix__/g, total.value);
      form.querySelector('[data-formset="' + prefix + '"] tbody').insertAdjacentHTML("beforeend", html);
      total.value = parseInt(total.value, 10) + 1;
      recalc();
    });
  });
  form.addEventListener("input", recalc);
  form.addEventListener("change", recalc);
  recalc();
})();
