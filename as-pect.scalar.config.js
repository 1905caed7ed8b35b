// The scalar build's as-pect run: every spec but simd-math.spec.ts, whose f32x4 code has no scalar form.
import config from './as-pect.config.js';

export default { ...config, disclude: [...config.disclude, /simd-math\.spec\.ts$/] };
