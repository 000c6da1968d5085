/** A click batch already written: the click stream may deliver one twice. */
export interface LinkClickBatchesTable {
  batch_id: string;
  /** ms since the epoch; rows older than the stream's retention are swept. */
  applied_at: number;
}

/** A secret every node of a cluster shares (`link-key`: the code permutation's key, hex). */
export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

/** Row types of the tables the scale-out mode adds, as Kysely sees them. */
export interface ScaleOutTables {
  link_click_batches: LinkClickBatchesTable;
  server_secrets: ServerSecretsTable;
}
