// The held-out confusion matrix: rows are the true class, columns the predicted one, with class names.

export function drawConfusion(container, classNames, truth, predicted) {
  const k = classNames.length;
  const counts = Array.from({ length: k }, () => new Array(k).fill(0));
  if (predicted) for (let i = 0; i < predicted.length; i++) counts[truth[i]][predicted[i]]++;
  const table = document.createElement('table');
  table.className = 'confusion';
  const head = classNames.map((name) => `<th scope="col">${name}</th>`).join('');
  table.innerHTML = `<caption>rows: true class · columns: predicted</caption><thead><tr><td></td>${head}</tr></thead>`;
  const body = table.createTBody();
  counts.forEach((row, r) => {
    const cells = row.map((n, c) => `<td class="${r === c ? 'diag' : n ? 'off' : ''}">${predicted ? n : ''}</td>`).join('');
    body.insertRow().innerHTML = `<th scope="row">${classNames[r]}</th>${cells}`;
  });
  container.replaceChildren(table);
}
