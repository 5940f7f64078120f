import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { renderBlindvaultError } from '../errors.js';
import { multipartLimits } from './multipart.js';
import { filesRoutes } from './routes.js';
import type { FilesService } from './service.js';

export interface FilesPluginOptions {
  service: FilesService;
  publicUrl: string | undefined;
  maxUploadBytes: number;
}

/** The e2e file API of the seed: POST /upload, GET /f/{id}/encrypted, the owner's /f/{id}/manage. */
export async function filesPlugin(app: FastifyInstance, options: FilesPluginOptions): Promise<void> {
  app.setErrorHandler(renderBlindvaultError);
  await app.register(multipart, { limits: multipartLimits(options.maxUploadBytes), throwFileSizeLimit: true });
  await app.register(filesRoutes, options);
}
