import type { ESLint, Rule } from 'eslint';

export declare const noCycleWithTypes: Rule.RuleModule;
declare const plugin: ESLint.Plugin;
export default plugin;
