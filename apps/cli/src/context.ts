/** What every command gets: where it runs, where it writes, and the global flags. */

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface Context {
  /** The user's project folder: plugins, relative paths and outputs resolve from here. */
  cwd: string;
  /** Results (tables, JSON, file lists). */
  out(line: string): void;
  /** Notices (backend choice, warnings): stderr, so `--json` stdout stays parseable. */
  info(line: string): void;
  /** Whether stderr is a terminal (progress bars draw only there). */
  isTTY: boolean;
  verbose: boolean;
  backend: BackendPreference;
  /**
   * `--plugin <attribute>=<package|path>`: plugins the user names for a model's attributes, used
   * instead of what its model.json says (the only way code from a path is loaded for a model).
   */
  plugins?: ReadonlyMap<string, string>;
}
