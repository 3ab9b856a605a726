import { ContrastiveLossError } from './errors.js';
import type { Attribute, AttributePlugin } from './contract.js';
import { createAttribute, validatePlugin } from './attribute.js';

/** Options of {@link AttributeRegistry}. */
export interface AttributeRegistryOptions {
  /** Receives duplicate-registration warnings (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

/**
 * Attribute plugins keyed by name. Registering a second plugin under a name warns and replaces
 * the first (as tfjs' kernel registry does); asking for an unknown name throws
 * `GanControlError` `ATTRIBUTE_NOT_FOUND` listing the registered names.
 *
 * @example
 * ```ts
 * const registry = new AttributeRegistry().register(meanColour).register(age);
 * const attribute = await registry.create('mean-colour', { weight: 1 });
 * registry.list(); // ['mean-colour', 'age']
 * ```
 */
export class AttributeRegistry {
  private readonly byName = new Map<string, AttributePlugin>();
  private readonly warn: (message: string) => void;

  constructor(options: AttributeRegistryOptions = {}) {
    this.warn = options.warn ?? ((message) => console.warn(message));
  }

  /** Validates and adds `plugin` (`PLUGIN_INVALID` / `PLUGIN_API_VERSION` when malformed). */
  register(plugin: AttributePlugin): this {
    validatePlugin(plugin);
    const existing = this.byName.get(plugin.name);
    if (existing) {
      this.warn(
        `gan-control: attribute plugin "${plugin.name}" is already registered (version ${existing.version}); ` +
          `the new registration (version ${plugin.version}) replaces it. Give one of them another name if both are needed.`,
      );
    }
    this.byName.set(plugin.name, plugin);
    return this;
  }

  /** Removes a plugin; returns whether it was registered. */
  unregister(name: string): boolean {
    return this.byName.delete(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The plugin called `name`, or `ATTRIBUTE_NOT_FOUND` listing the registered names. */
  get(name: string): AttributePlugin {
    const plugin = this.byName.get(name);
    if (!plugin) {
      const known = this.list();
      throw new ContrastiveLossError(
        'ATTRIBUTE_NOT_FOUND',
        `No attribute plugin named "${name}" is registered. ` +
          (known.length ? `Registered: ${known.join(', ')}.` : 'None is registered yet.') +
          ' Register it first with registry.register(plugin) (the CLI loads plugins from installed @gan-control/attribute-* packages).',
        { details: { name, known } },
      );
    }
    return plugin;
  }

  /** Registered names, in registration order. */
  list(): string[] {
    return [...this.byName.keys()];
  }

  /** Registered plugin objects, in registration order. */
  plugins(): AttributePlugin[] {
    return [...this.byName.values()];
  }

  /** `createAttribute(this.get(name), options)`. */
  create(name: string, options?: unknown): Promise<Attribute> {
    return createAttribute(this.get(name), options as never);
  }
}
