import React from 'react';
import Grid from '@material-ui/core/Grid';
import { Content } from '@backstage/core-components';
import { AdoptionCard } from './AdoptionCard';
import { AuditLogCard } from './AuditLogCard';
import { ProblemsCard } from './ProblemsCard';

/** `/idp`: adoption, invalid manifests and the audit log of the self-service actions. */
export function IdpPage() {
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12} md={6}>
          <AdoptionCard />
        </Grid>
        <Grid item xs={12} md={6}>
          <ProblemsCard />
        </Grid>
        <Grid item xs={12}>
          <AuditLogCard />
        </Grid>
      </Grid>
    </Content>
  );
}
