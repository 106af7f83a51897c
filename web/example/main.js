// The example portal's script: the API used directly, and the element driven by a form.
import init, { validateAction, lookupError } from "../sdrs-wasm/web/sdrs_wasm.js";
import "../sdrs-wasm/element.js";

await init();

const advisor = document.getElementById("advisor");
document.getElementById("profile").addEventListener("change", (event) => {
  const field = event.target;
  if (field.type === "checkbox") advisor.toggleAttribute(field.name, field.checked);
  else advisor.setAttribute(field.name, field.value);
});

const result = document.getElementById("action-result");
document.getElementById("action-form").addEventListener("submit", (event) => {
  event.preventDefault();
  try {
    const action = validateAction(document.getElementById("body").value);
    result.textContent = `Valid: ${JSON.stringify(action)}`;
  } catch (error) {
    const info = lookupError(error.code);
    result.textContent = `${error.code} (HTTP ${info.httpStatus}): ${error.message}. ${info.handling}`;
  }
});
document.body.dataset.ready = "yes";
