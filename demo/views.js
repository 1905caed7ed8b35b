// The panels under the chart and what each data set shows: the decision boundary (2-D sets), held-out
// images with guesses and the draw pad (digit sets), the confusion matrix, first-layer weights (images).
// update() asks the worker for predictions once and hands them to every visible panel.
import { boundaryView } from './boundary.js';
import { DATASETS } from './catalog.js';
import { drawConfusion } from './confusion.js';
import { drawPad } from './draw-pad.js';
import { drawExamples } from './examples.js';
import { planeDataset } from './plane-data.js';
import { accuracy, argmax } from './predictions.js';
import { drawWeights } from './weights-view.js';

export function createViews($, currentTrainer) {
  const boundary = boundaryView($('boundary'));
  let dataset = DATASETS.spirals;
  let current = null; // the run whose panels are shown
  const pad = drawPad({ canvas: $('pad'), bars: $('pad-bars'), clear: $('pad-clear'), prompt: $('pad-prompt') }, {
    trainer: currentTrainer,
    classNames: () => dataset.classNames,
    // a CNN's feature maps follow the drawing
    onRead: () => { if (current?.spec.layers[0].type === 'conv2d') drawLayers(current); },
  });

  /** The first layer's tiles, or a CNN's feature maps of the drawn digit (else the first held-out one). */
  function drawLayers(run) {
    const { preview } = run.data;
    const image = pad.input() ?? preview.x.subarray(0, preview.cols);
    return drawWeights($('weights'), run.trainer, run.spec, dataset.image, image).catch((error) => {
      if (current === run) throw error; // a run replaced (its trainer disposed) meanwhile has nothing to show
    });
  }

  return {
    /** Shows the panels that data set `name` uses, empty; with a `seed`, a 2-D set's points before any run. */
    show(name, seed) {
      dataset = DATASETS[name];
      if (dataset.plane && seed !== undefined) boundary.reset(planeDataset(name, seed));
      $('boundary-panel').hidden = !dataset.plane;
      $('pad-panel').hidden = !dataset.image;
      $('examples-panel').hidden = true; // until a run has images to show
      $('weights-panel').hidden = true;
      if (dataset.image) pad.configure(dataset.image);
      $('weights').replaceChildren();
      $('examples').replaceChildren();
      drawConfusion($('confusion'), dataset.classNames, [], null);
    },
    /** A new run: its points on the plane, its held-out images without guesses. */
    reset(run) {
      current = run;
      this.show(run.data.name);
      if (dataset.plane) boundary.reset(run.data.trainPoints);
      if (dataset.image) drawExamples($('examples'), run.data.preview, dataset.image, null);
      $('examples-panel').hidden = $('weights-panel').hidden = !dataset.image;
      const conv = run.spec.layers[0].type === 'conv2d';
      $('weights-title').textContent = conv ? 'What the convolution layers see' : 'What the first layer looks for';
      $('weights-hint').textContent = conv
        ? 'Each tile is one filter\'s response to the digit (white: strong). Draw on the pad to see your own digit taken apart.'
        : 'Each tile is one unit\'s weights: red pixels push it up, blue ones down.';
    },
    /** Predicts the held-out set in the worker and redraws every panel; returns the held-out accuracy. */
    async update(run) {
      const { trainer, data } = run;
      current = run;
      const predicted = argmax(await trainer.predict(data.testSet), dataset.classes);
      drawConfusion($('confusion'), dataset.classNames, data.testY, predicted);
      const jobs = [];
      if (dataset.plane) jobs.push(boundary.update(trainer));
      if (dataset.image) {
        drawExamples($('examples'), data.preview, dataset.image, predicted.subarray(0, data.preview.y.length));
        jobs.push(drawLayers(run), pad.refresh());
      }
      await Promise.all(jobs);
      return accuracy(predicted, data.testY);
    },
  };
}
