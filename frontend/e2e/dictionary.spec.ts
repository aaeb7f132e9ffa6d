import { expect, saveScreenshot, test } from './fixtures'

test('dictionary: suggestions as you type, a term page with related terms, in the UI language', async ({ page }) => {
  await page.goto('/toolbox')
  await page.getByRole('link', { name: 'Music dictionary' }).click()
  await expect(page.getByRole('heading', { level: 1, name: 'Music dictionary' })).toBeVisible()

  await page.getByLabel('Look up a term').fill('cresc')
  const suggestions = page.getByRole('list', { name: 'Suggestions' })
  const crescendo = suggestions.getByRole('link', { name: /^crescendo$/i })
  await expect(crescendo).toBeVisible()
  await crescendo.click()

  await expect(page).toHaveURL(/\/toolbox\/dictionary\/crescendo$/i)
  const term = page.getByTestId('term')
  await expect(term.getByRole('heading', { name: /^crescendo$/i })).toBeVisible()
  await expect(term).toContainText(/louder/i)
  const related = term.getByRole('region', { name: 'Related terms' }).getByRole('link')
  await expect(related.first()).toBeVisible()
  await saveScreenshot(page, 'dictionary.png')

  // A related term opens its own page.
  const relatedName = (await related.first().textContent())!
  await related.first().click()
  await expect(term.getByRole('heading', { level: 2 })).toHaveText(relatedName)

  // In German the term is named in German; the seed's definitions are English, and say so.
  await page.evaluate(() => localStorage.setItem('mirubato.preferences', JSON.stringify({ theme: 'auto', language: 'de' })))
  await page.goto('/toolbox/dictionary/crescendo')
  await expect(page.getByTestId('term')).toContainText('Noch kein Eintrag in Ihrer Sprache')
})
