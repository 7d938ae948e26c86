// Building DOM nodes without innerHTML, so nothing the API returns is ever parsed as markup.

/** h('a', { href: '#', class: 'x', dataset: { imsi: '1' } }, 'text', child) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false).map((c) => nodeOf(c)));
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  element.append(...children.flat().filter((c) => c !== null && c !== undefined).map((c) => nodeOf(c)));
  return element;
}

function nodeOf(child) {
  return child instanceof Node ? child : document.createTextNode(String(child));
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

export function formatTime(ms) {
  return ms ? new Date(ms).toLocaleString() : '—';
}
