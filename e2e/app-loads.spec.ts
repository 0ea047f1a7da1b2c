import { test, expect } from './fixtures';

test('the studio page loads', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Mix-QSAM Studio' })).toBeVisible();
});
