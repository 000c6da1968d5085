/** How one error code is presented: its HTTP status and the sentence documenting it. */
export interface ErrorSpec {
  readonly status: number;
  readonly description: string;
}
