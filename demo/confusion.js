// The held-out confusion matrix: rows are the true class, columns the predicted one, with class names.
// The table is built once per set of classes; each epoch only rewrites the cells whose count changed.

function build(container, classNames) {
  const table = document.createElement('table');
  table.className = 'confusion';
  const head = classNames.map((name) => `<th scope="col">${name}</th>`).join('');
  table.innerHTML = `<caption>rows: true class · columns: predicted</caption><thead><tr><td></td>${head}</tr></thead>`;
  const body = table.createTBody();
  for (const [r, name] of classNames.entries()) {
    body.insertRow().innerHTML = `<th scope="row">${name}</th>${classNames.map((_, c) => `<td class="${r === c ? 'diag' : ''}"></td>`).join('')}`;
  }
  container.replaceChildren(table);
  container.dataset.classes = classNames.join('\u0000');
  return table;
}

export function drawConfusion(container, classNames, truth, predicted) {
  const k = classNames.length;
  const table = container.dataset.classes === classNames.join('\u0000') ? container.querySelector('table') : build(container, classNames);
  const counts = Array.from({ length: k }, () => new Array(k).fill(0));
  if (predicted) for (let i = 0; i < predicted.length; i++) counts[truth[i]][predicted[i]]++;
  counts.forEach((row, r) => {
    const cells = table.tBodies[0].rows[r].cells;
    row.forEach((n, c) => {
      const cell = cells[c + 1];
      const text = predicted ? String(n) : '';
      if (cell.textContent !== text) cell.textContent = text;
      if (r !== c) cell.classList.toggle('off', n > 0);
    });
  });
}
