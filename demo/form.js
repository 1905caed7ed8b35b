// Renders the field table (fields.js) into the Basic and Advanced parts of the form, reads it back with
// every rule checked, shows errors at the field they belong to (aria-invalid, a message, focus on the
// first bad field), and locks what a given moment must not change.
import { FIELDS, FIELD_BY_ID } from './fields.js';

function controlFor(field) {
  if (field.kind === 'select') {
    const select = document.createElement('select');
    for (const [value, text] of field.options) select.append(new Option(text, value));
    return select;
  }
  const input = document.createElement('input');
  input.type = field.kind === 'checkbox' ? 'checkbox' : 'text';
  if (field.kind === 'number') input.inputMode = 'decimal';
  input.autocomplete = 'off';
  input.spellcheck = false;
  return input;
}

function render(field) {
  const wrapper = document.createElement('div');
  wrapper.className = `field ${field.kind}`;
  const control = controlFor(field);
  control.id = field.id;
  control.name = field.id;
  control.title = field.help;
  const label = document.createElement('label');
  label.htmlFor = field.id;
  label.title = field.help;
  label.textContent = field.label;
  const help = Object.assign(document.createElement('span'), { id: `${field.id}-help`, className: 'sr-only', textContent: field.help });
  const message = Object.assign(document.createElement('small'), { id: `${field.id}-msg`, className: 'msg' });
  control.setAttribute('aria-describedby', `${field.id}-help ${field.id}-msg`);
  if (field.kind === 'checkbox') label.prepend(control);
  wrapper.append(label, ...(field.kind === 'checkbox' ? [] : [control]), help, message);
  return wrapper;
}

export function createForm({ basic, advanced }) {
  for (const field of FIELDS) (field.group === 'basic' ? basic : advanced).append(render(field));
  const control = (id) => document.getElementById(id);
  let mode = 'open';

  const raw = () => Object.fromEntries(FIELDS.map((f) => [f.id, f.kind === 'checkbox' ? control(f.id).checked : control(f.id).value]));

  function setError(id, message) {
    if (message) control(id).setAttribute('aria-invalid', 'true');
    else control(id).removeAttribute('aria-invalid');
    document.getElementById(`${id}-msg`).textContent = message ?? '';
  }

  /** Fields whose value matters given the others (label smoothing only for cross-entropy, …). */
  const applies = (field, values) => !field.applies || field.applies(values);

  function refreshDisabled() {
    const values = raw();
    for (const field of FIELDS) {
      const locked = mode === 'busy' ? field.id !== 'slow' : mode === 'resume' ? !field.resumable : false;
      control(field.id).disabled = locked || !applies(field, values);
    }
  }

  return {
    control,
    raw,
    /** Sets the controls from `values` (strings, booleans for checkboxes); unknown keys are ignored. */
    fill(values) {
      for (const [id, value] of Object.entries(values)) {
        const field = FIELD_BY_ID[id];
        if (!field) continue;
        if (field.kind === 'checkbox') control(id).checked = value === true || value === 'true' || value === '1';
        else control(id).value = String(value);
        setError(id, null);
      }
      refreshDisabled();
    },
    /** Every applicable field parsed by its rule: { values, errors: [{ id, message }] }. */
    read() {
      const current = raw();
      const values = {};
      const errors = [];
      for (const field of FIELDS) {
        if (!applies(field, current)) continue;
        try {
          values[field.id] = field.parse(current[field.id], current);
        } catch (error) {
          errors.push({ id: field.id, message: error.message });
        }
      }
      return { values, errors };
    },
    /** Marks the fields in `errors` (and clears the others); focuses the first one, opening Advanced if needed. */
    showErrors(errors) {
      for (const field of FIELDS) setError(field.id, errors.find((e) => e.id === field.id)?.message);
      const first = errors[0] && control(errors[0].id);
      if (!first) return;
      const details = first.closest('details');
      if (details) details.open = true;
      first.focus();
    },
    /** 'open': everything editable; 'busy': only slow motion; 'resume': only what Resume applies. */
    lock(next) {
      mode = next;
      refreshDisabled();
    },
    /** Field labels, for messages. */
    label: (id) => FIELD_BY_ID[id].label,
    refreshDisabled,
  };
}
