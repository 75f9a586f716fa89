/** A row-major float32 matrix: element (i, j) is `data[i * cols + j]`. Rows are samples. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** A Matrix as accepted at the API boundary: `data` may also be a plain number array. */
export interface MatrixLike {
  data: Float32Array | ArrayLike<number>;
  rows: number;
  cols: number;
}
