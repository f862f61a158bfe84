import { workflowRoutes } from '@zhgh/contracts';
import type { RouteBinder } from '../../http/router.ts';
import type { WorkflowService } from './workflow.service.ts';

export function bindWorkflowRoutes(bind: RouteBinder, workflow: WorkflowService): void {
  bind(workflowRoutes.get, ({ ctx, input }) => workflow.get(ctx, input.params.id));
  bind(workflowRoutes.comment, ({ ctx, input }) => workflow.comment(ctx, input.params.id, input.body.text));
  bind(workflowRoutes.attach, ({ ctx, input, file }) => workflow.attach(ctx, input.params.id, input.body.kind, file!));
  bind(workflowRoutes.attachmentFile, ({ ctx, input }) => workflow.attachmentFile(ctx, input.params.id));
  bind(workflowRoutes.notices, ({ input }) => workflow.notices(input.query));
  bind(workflowRoutes.object, ({ ctx, input }) => workflow.object(ctx, input.params.id, input.body.reason));
  bind(workflowRoutes.decideObjection, ({ ctx, input }) => workflow.decideObjection(ctx, input.params.id, input.body));
  bind(workflowRoutes.queue, ({ ctx, input }) => workflow.queue(ctx, input.query));
}
