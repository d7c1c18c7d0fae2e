// index.ts — trained-model recipes built on the library (`td.models`): each model is a namespace.
export * as cld from './cld';
export * as ul from './ul';
export * as discoDiff from './discoDiff';
export * as layerSync from './layerSync';
