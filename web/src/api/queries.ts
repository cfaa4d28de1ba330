import { must, type ApiClient } from './client';

/** The connectors of a project: none while no project is chosen. */
export async function projectConnectors(api: ApiClient, project: string) {
  if (!project) return [];
  const path = { project_id: project };
  return (await must(api.GET('/v1/projects/{project_id}/connectors', { params: { path } }))).connectors;
}

/** The tools of a project, with their usage and health: none while no project is chosen. */
export async function projectTools(api: ApiClient, project: string) {
  if (!project) return [];
  const path = { project_id: project };
  return (await must(api.GET('/v1/projects/{project_id}/tools', { params: { path } }))).tools;
}
