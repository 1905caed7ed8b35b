// The plain-JS GEMM baselines: each orientation's loops in the order that streams rows of B.

/** C[M,N] = A·B with A [M,K], B [K,N] (row-major), in plain JS (i-k-j order: rows of B stream). */
export function gemmNN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  C.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const c = i * N;
    for (let q = 0; q < K; q++) {
      const a = A[i * K + q]!;
      const b = q * N;
      for (let j = 0; j < N; j++) C[c + j]! += a * B[b + j]!;
    }
  }
}

/** C[M,N] = A·Bᵀ with A [M,K], B [N,K], in plain JS (row-by-row dot products). */
export function gemmNT(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += A[i * K + q]! * B[j * K + q]!;
      C[i * N + j] = s;
    }
  }
}

/** C[M,N] = Aᵀ·B with A [K,M], B [K,N], in plain JS (rank-1 updates, rows of B stream). */
export function gemmTN(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
  C.fill(0, 0, M * N);
  for (let q = 0; q < K; q++) {
    const b = q * N;
    for (let i = 0; i < M; i++) {
      const a = A[q * M + i]!;
      const c = i * N;
      for (let j = 0; j < N; j++) C[c + j]! += a * B[b + j]!;
    }
  }
}

/** The plain-JS GEMM of each orientation ('nn', 'nt', 'tn', as GemmCase.orientation). */
export const PLAIN_GEMM = { nn: gemmNN, nt: gemmNT, tn: gemmTN } as const;
