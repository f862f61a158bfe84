/**
 * The kit's door to Vant: the components it uses and only their styles, so an end that shows
 * a kit page ships the CSS it needs even if it uses none of these itself.
 */
import 'vant/es/action-sheet/style/index';
import 'vant/es/button/style/index';
import 'vant/es/cell/style/index';
import 'vant/es/dialog/style/index';
import 'vant/es/empty/style/index';
import 'vant/es/loading/style/index';
import 'vant/es/tag/style/index';
import 'vant/es/toast/style/index';

export {
  ActionSheet,
  type ActionSheetAction,
  Button,
  Cell,
  Empty,
  Loading,
  showConfirmDialog,
  showFailToast,
  showSuccessToast,
  showToast,
  Tag,
} from 'vant';
